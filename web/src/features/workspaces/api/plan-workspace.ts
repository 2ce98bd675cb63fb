import { api, call } from '../../../api/client';
import type { Run } from '../../../api/types';

export const planWorkspace = (name: string) =>
  call<Run>(() => api.POST('/api/v1/workspaces/{name}/plan', { params: { path: { name } }, body: {} }));
