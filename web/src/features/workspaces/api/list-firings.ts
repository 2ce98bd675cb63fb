import { api, call } from '../../../api/client';
import type { LedgerFiring, Page } from '../../../api/types';

/** The newest recorded firings (fired, skipped, missed), for the past part of the timeline. */
export const listFirings = (name: string, limit = 200) =>
  call<Page<LedgerFiring>>(() =>
    api.GET('/api/v1/workspaces/{name}/firings', { params: { path: { name }, query: { limit } } }),
  );
