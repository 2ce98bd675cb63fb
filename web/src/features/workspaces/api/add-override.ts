import { api, call } from '../../../api/client';
import type { OverrideKind, WorkspaceOverride } from '../../../api/types';

export interface NewOverride {
  readonly kind: OverrideKind;
  readonly until?: string;
  readonly for?: string;
  readonly action?: 'deploy' | 'destroy';
  readonly reason?: string;
}

export const addOverride = (name: string, body: NewOverride) =>
  call<WorkspaceOverride>(() =>
    api.POST('/api/v1/workspaces/{name}/overrides', { params: { path: { name } }, body }),
  );
