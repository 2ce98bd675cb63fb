/**
 * The audit log (SPEC §7): every mutation and auth event, hash-chained so tampering is detectable.
 * `AuditLog` is what the API and the auth code record through; `verifyAuditChain` is what
 * `tide audit verify` runs.
 */
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import type { AuditEntryInput, AuditRecorder } from './audit-entry.ts';
import { auditEntryHash, GENESIS_HASH } from './audit-hash.ts';
import { appendAuditEntry, findAuditIdByHash, readAuditBatch, readAuditHead } from './audit.repo.ts';
import { hashedFields, type AuditEntry } from './audit.ts';

export class AuditLog implements AuditRecorder {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async record(entry: AuditEntryInput): Promise<void> {
    await this.append(entry);
  }

  /** Like record, but returns the stored entry (id, instant, hashes). */
  append(entry: AuditEntryInput): Promise<AuditEntry> {
    return appendAuditEntry(this.db, entry, this.clock.now());
  }
}

export type AuditProblemKind = 'modified' | 'deleted' | 'reordered';

export interface AuditProblem {
  /** The entry concerned: the edited one, or the first missing id. */
  readonly id: number;
  readonly kind: AuditProblemKind;
  readonly message: string;
}

export type AuditVerification =
  | { readonly ok: true; readonly entries: number }
  | { readonly ok: false; readonly entries: number; readonly problems: AuditProblem[] };

/** Rows read per query while walking the log, so memory stays flat however long it grows. */
const VERIFY_BATCH = 1000;

/**
 * Walks the whole log oldest first and reports every break: an entry whose fields no longer hash to its
 * stored hash (modified), a missing id or a first entry that does not start the chain (deleted), an entry
 * linked to another than its predecessor (reordered), and a last entry that disagrees with the head row
 * (the newest entries deleted or rewritten, which the chain alone cannot show).
 */
export async function verifyAuditChain(db: Db): Promise<AuditVerification> {
  const problems: AuditProblem[] = [];
  let previous: AuditEntry | undefined;
  let entries = 0;
  for (;;) {
    const batch = await readAuditBatch(db, previous?.id ?? 0, VERIFY_BATCH);
    for (const entry of batch) {
      problems.push(...(await checkEntry(db, entry, previous)));
      previous = entry;
    }
    entries += batch.length;
    if (batch.length < VERIFY_BATCH) break;
  }
  problems.push(...checkHead(await readAuditHead(db), previous, problems));
  return problems.length === 0 ? { ok: true, entries } : { ok: false, entries, problems };
}

async function checkEntry(
  db: Db,
  entry: AuditEntry,
  previous: AuditEntry | undefined,
): Promise<AuditProblem[]> {
  const problems: AuditProblem[] = [];
  const intact = auditEntryHash(entry.prev_hash, hashedFields(entry)) === entry.hash;
  if (!intact) {
    problems.push({
      id: entry.id,
      kind: 'modified',
      message: `entry ${entry.id} was modified: its fields no longer match its hash`,
    });
  }
  const expectedId = (previous?.id ?? 0) + 1;
  if (entry.id !== expectedId) {
    problems.push({ id: expectedId, kind: 'deleted', message: missing(expectedId, entry.id - 1) });
    return problems;
  }
  const expectedPrev = previous?.hash ?? GENESIS_HASH;
  // A modified entry's prev_hash may be the edited field; reporting the link too would say it twice.
  if (!intact || entry.prev_hash === expectedPrev) return problems;
  const linkedTo = await findAuditIdByHash(db, entry.prev_hash);
  if (linkedTo !== undefined) {
    problems.push({
      id: entry.id,
      kind: 'reordered',
      message: `entry ${entry.id} follows entry ${linkedTo} in the chain, not entry ${expectedId - 1}`,
    });
  } else if (previous) {
    // The predecessor hashes consistently but is not the entry this one was linked to: it was replaced
    // (rewritten with a recomputed hash).
    problems.push({
      id: previous.id,
      kind: 'modified',
      message: `entry ${previous.id} was replaced: entry ${entry.id} no longer links to it`,
    });
  } else {
    problems.push({
      id: entry.id,
      kind: 'deleted',
      message: `entry ${entry.id} does not start the chain: the entries before it were deleted`,
    });
  }
  return problems;
}

function checkHead(
  head: { lastId: number; lastHash: string } | undefined,
  last: AuditEntry | undefined,
  found: readonly AuditProblem[],
): AuditProblem[] {
  const lastId = last?.id ?? 0;
  if (head === undefined) {
    return last
      ? [
          {
            id: lastId,
            kind: 'modified',
            message: 'the chain head is missing: entries were written outside Tide',
          },
        ]
      : [];
  }
  if (lastId < head.lastId)
    return [{ id: lastId + 1, kind: 'deleted', message: missing(lastId + 1, head.lastId) }];
  if (lastId > head.lastId) {
    return [
      {
        id: head.lastId + 1,
        kind: 'modified',
        message: `entries after ${head.lastId} were added outside Tide (the chain head ends there)`,
      },
    ];
  }
  const alreadyReported = found.some((problem) => problem.id === lastId && problem.kind === 'modified');
  if (last && last.hash !== head.lastHash && !alreadyReported) {
    return [{ id: lastId, kind: 'modified', message: `entry ${lastId}, the newest, was rewritten` }];
  }
  return [];
}

function missing(from: number, to: number): string {
  return from === to ? `entry ${from} was deleted` : `entries ${from}–${to} were deleted`;
}
