import { api, call } from '../../../api/client';
import type { AuditEntry, Page } from '../../../api/types';

export interface AuditFilters {
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly since?: string;
  readonly until?: string;
  readonly cursor?: string;
}

export const listAudit = (filters: AuditFilters) =>
  call<Page<AuditEntry>>(() => api.GET('/api/v1/audit', { params: { query: { ...filters, limit: 50 } } }));
