import { api, call } from '../../../api/client';
import type { Workspace } from '../../../api/types';

export const getWorkspace = (name: string) =>
  call<Workspace>(() => api.GET('/api/v1/workspaces/{name}', { params: { path: { name } } }));
