import { api, call } from '../../../api/client';
import type { StateVersions } from '../../../api/types';

export const getStateVersions = (name: string) =>
  call<StateVersions>(() =>
    api.GET('/api/v1/workspaces/{name}/state', { params: { path: { name }, query: { limit: 20 } } }),
  );
