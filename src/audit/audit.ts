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

/** An entry with its signature (src/audit/audit-mac.ts), as verification reads it; never served. */
export interface SignedAuditEntry extends AuditEntry {
  /** Null on entries written before the log was signed. */
  readonly mac: string | null;
}

export function toSignedAuditEntry(row: AuditLogTable): SignedAuditEntry {
  return {
    ...row,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
  };
}

/** The served form: the signature stays in the database, it means nothing without the key. */
export function toAuditEntry(row: AuditLogTable): AuditEntry {
  const { mac: _signature, ...entry } = toSignedAuditEntry(row);
  return entry;
}

/** Only the fields the hash covers, whatever else the object carries. */
export function hashedFields(entry: AuditEntry): HashedAuditFields {
  const { id, at, actor, action, target, result, source_ip, request_id, details } = entry;
  return { id, at, actor, action, target, result, source_ip, request_id, details };
}
