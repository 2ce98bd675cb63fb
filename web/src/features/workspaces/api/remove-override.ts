import { api, call } from '../../../api/client';
import type { WorkspaceOverride } from '../../../api/types';

export const removeOverride = (name: string, id: string) =>
  call<WorkspaceOverride>(() =>
    api.DELETE('/api/v1/workspaces/{name}/overrides/{id}', { params: { path: { name, id } } }),
  );
