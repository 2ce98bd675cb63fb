import { api, call } from '../../../api/client';

export const deleteTemplate = (name: string) =>
  call<undefined>(() => api.DELETE('/api/v1/templates/{name}', { params: { path: { name } } }));
