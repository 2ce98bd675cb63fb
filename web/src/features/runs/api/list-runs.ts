import { api, call } from '../../../api/client';
import type { Page, Run } from '../../../api/types';

export interface RunFilters {
  readonly workspace?: string;
  /** One state or a comma-separated list. */
  readonly state?: string;
  readonly trigger?: 'schedule' | 'window' | 'manual' | 'api' | 'dependency' | 'retry' | 'ttl' | 'event';
}

export const listRuns = (filters: RunFilters, limit = 100) =>
  call<Page<Run>>(() => api.GET('/api/v1/runs', { params: { query: { ...filters, limit } } }));
