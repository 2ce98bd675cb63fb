/** Audit entries as stored and served (snake_case, like the columns and every API response). */
import type { AuditLogTable, AuditResult } from '../store/schema.ts';
import type { HashedAuditFields } from './audit-hash.ts';

export interface AuditEntry extends HashedAuditFields {
  /** Parsed from the JSON column; null when the entry has none. */
  readonly details: Readonly<Record<string, unknown>> | null;
  readonly prev_hash: string;
  readonly hash: string;
}

export interface AuditFilter {
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly target?: string | undefined;
  readonly result?: AuditResult | undefined;
  /** Entries at or after this instant. */
  readonly since?: Date | undefined;
  /** Entries strictly before this instant. */
  readonly until?: Date | undefined;
}

export function toAuditEntry(row: AuditLogTable): AuditEntry {
  return {
    ...row,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
  };
}

/** Only the fields the hash covers, whatever else the object carries. */
export function hashedFields(entry: AuditEntry): HashedAuditFields {
  const { id, at, actor, action, target, result, source_ip, request_id, details } = entry;
  return { id, at, actor, action, target, result, source_ip, request_id, details };
}
