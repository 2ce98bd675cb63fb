/**
 * The audit log's hash chain, as pure functions: an entry's hash covers its predecessor's hash and every
 * field of its own, so editing, deleting or moving an entry breaks the chain from there on. The exact
 * form is documented in docs/security.md so the log can be checked without Tide.
 */
import { createHash } from 'node:crypto';
import type { AuditResult } from '../store/schema.ts';

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The fields an entry's hash covers, named as the columns are. */
export interface HashedAuditFields {
  readonly id: number;
  /** ISO-8601 UTC with milliseconds, as stored. */
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly result: AuditResult;
  readonly source_ip: string | null;
  readonly request_id: string | null;
  readonly details: unknown;
}

/**
 * JSON with object keys sorted at every level and no whitespace: one text per value, whatever order the
 * keys were built in, so a hash recomputed from the stored row matches the one computed at append time.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, field]) => field !== undefined)
    // An object's keys are distinct, so no two compare equal.
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
}

/** sha256 hex of `prevHash + canonicalJson(fields)`. */
export function auditEntryHash(prevHash: string, fields: HashedAuditFields): string {
  return createHash('sha256')
    .update(prevHash + canonicalJson(fields))
    .digest('hex');
}

/**
 * Details as they will read back from the database: what JSON can hold (no undefined, Dates as strings),
 * or null when there are none. Hashing this form keeps append-time and verify-time hashes equal.
 */
export function normaliseDetails(details: Readonly<Record<string, unknown>> | undefined): unknown {
  if (details === undefined || Object.keys(details).length === 0) return null;
  return JSON.parse(JSON.stringify(details)) as unknown;
}
