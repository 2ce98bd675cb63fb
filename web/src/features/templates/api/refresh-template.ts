import { api, call } from '../../../api/client';
import type { Template } from '../../../api/types';

export const refreshTemplate = (name: string) =>
  call<{ template: Template; previous_commit: string; changed: boolean }>(() =>
    api.POST('/api/v1/templates/{name}/refresh', { params: { path: { name } }, body: {} }),
  );
