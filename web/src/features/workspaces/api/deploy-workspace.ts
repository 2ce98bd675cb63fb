import { api, call } from '../../../api/client';
import type { Run } from '../../../api/types';

export const deployWorkspace = (name: string, options: { mode?: string; ttl?: string } = {}) =>
  call<Run>(() =>
    api.POST('/api/v1/workspaces/{name}/deploy', {
      params: { path: { name } },
      body: {
        ...(options.mode ? { mode: options.mode } : {}),
        ...(options.ttl ? { ttl: options.ttl } : {}),
      },
    }),
  );
