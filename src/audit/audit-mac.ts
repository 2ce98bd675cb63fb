/**
 * The audit log's signatures: HMAC-SHA256 under TIDE_AUDIT_KEY, a key that is not in the database, so
 * someone who can only write rows cannot make a row, a head or a checkpoint that verifies. Each purpose
 * has its own prefix, so one signature can never stand in for another (an entry's for the head's, say).
 * The exact forms are documented in docs/security.md so the log can be checked without Tide.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The key's bytes (UTF-8 of TIDE_AUDIT_KEY or of `<data>/audit-key`). */
export type AuditKey = Uint8Array;

function hmacHex(key: AuditKey, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

/** Signs an entry: its hash already commits to its fields and to every entry before it. */
export function entryMac(key: AuditKey, hash: string): string {
  return hmacHex(key, `tide-audit-entry:${hash}`);
}

/** Signs the head row: where the chain ends. */
export function headMac(key: AuditKey, lastId: number, lastHash: string): string {
  return hmacHex(key, `tide-audit-head:${lastId}:${lastHash}`);
}

/** Signs a checkpoint: the head as it was at `at`, kept outside the database. */
export function checkpointMac(key: AuditKey, sequence: number, hash: string, at: string): string {
  return hmacHex(key, `tide-audit-checkpoint:${sequence}:${hash}:${at}`);
}

/** Constant-time comparison of two hex signatures; a missing one never matches. */
export function macMatches(expected: string, actual: string | null | undefined): boolean {
  if (typeof actual !== 'string' || actual.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(actual));
}
