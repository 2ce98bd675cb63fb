import { api, call } from '../../../api/client';

export const revokeToken = (id: string) =>
  call<undefined>(() => api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } }));
