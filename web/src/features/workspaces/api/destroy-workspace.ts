import { api, call } from '../../../api/client';
import type { Run } from '../../../api/types';

export const destroyWorkspace = (name: string) =>
  call<Run>(() => api.POST('/api/v1/workspaces/{name}/destroy', { params: { path: { name } }, body: {} }));
