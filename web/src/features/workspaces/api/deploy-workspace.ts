import { api, call } from '../../../api/client';
import type { Run } from '../../../api/types';

export const deployWorkspace = (name: string, mode?: string) =>
  call<Run>(() =>
    api.POST('/api/v1/workspaces/{name}/deploy', { params: { path: { name } }, body: mode ? { mode } : {} }),
  );
