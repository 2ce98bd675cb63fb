import { api, call } from '../../../api/client';
import type { Variables } from '../../../api/types';

export const getVariables = (name: string) =>
  call<Variables>(() => api.GET('/api/v1/workspaces/{name}/variables', { params: { path: { name } } }));
