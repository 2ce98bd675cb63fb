/**
 * The audit log (SPEC §7): every mutation and auth event, hash-chained and signed so tampering is
 * detectable. `AuditLog` is what the API and the auth code record through; `verifyAuditChain` is what
 * `tide audit verify` runs.
 */
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import type { AuditEntryInput, AuditRecorder } from './audit-entry.ts';
import { checkpointProblems, type CheckpointClaim } from './audit-checkpoint.ts';
import { auditEntryHash, GENESIS_HASH } from './audit-hash.ts';
import { entryMac, headMac, macMatches, type AuditKey } from './audit-mac.ts';
import { deletedEntries, type AuditProblem } from './audit-problem.ts';
import {
  appendAuditEntry,
  findAuditIdByHash,
  readAuditBatch,
  readAuditHead,
  type AuditHead,
} from './audit.repo.ts';
import { hashedFields, type SignedAuditEntry } from './audit.ts';

export class AuditLog implements AuditRecorder {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly key: AuditKey,
  ) {}

  async record(entry: AuditEntryInput): Promise<void> {
    await this.append(entry);
  }

  /** Like record, but returns the stored entry (id, instant, hashes, signature). */
  append(entry: AuditEntryInput): Promise<SignedAuditEntry> {
    return appendAuditEntry(this.db, entry, this.clock.now(), this.key);
  }
}

export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly unsigned: number }
  | {
      readonly ok: false;
      readonly entries: number;
      readonly unsigned: number;
      readonly problems: AuditProblem[];
    };

export interface VerifyOptions {
  /** The audit key (TIDE_AUDIT_KEY): signatures are checked with it. */
  readonly key: AuditKey;
  /** Heads recorded outside the database (the checkpoint file, `--checkpoint`) to compare the log with. */
  readonly checkpoints?: readonly CheckpointClaim[];
}

/** Rows read per query while walking the log, so memory stays flat however long it grows. */
const VERIFY_BATCH = 1000;

/**
 * Walks the whole log oldest first and reports every break: an entry whose fields no longer hash to its
 * stored hash (modified), a row whose signature does not match (forged), a missing id or a first entry
 * that does not start the chain (deleted), an entry linked to another than its predecessor (reordered),
 * a last entry that disagrees with the head row or a head moved without the key (the newest entries
 * deleted or rewritten, which the chain alone cannot show), and a log that no longer holds a checkpoint's
 * entry (truncated, wiped or rewritten). `unsigned` counts entries older than signing: the chain and the
 * first signature after them cover them.
 */
export async function verifyAuditChain(db: Db, options: VerifyOptions): Promise<AuditVerification> {
  const walk = new ChainWalk(db, options.key, options.checkpoints ?? []);
  for (;;) {
    const batch = await readAuditBatch(db, walk.lastId, VERIFY_BATCH);
    for (const entry of batch) await walk.visit(entry);
    if (batch.length < VERIFY_BATCH) break;
  }
  const problems = [...walk.problems, ...walk.finish(await readAuditHead(db))];
  const { entries, unsigned } = walk;
  return problems.length === 0 ? { ok: true, entries, unsigned } : { ok: false, entries, unsigned, problems };
}

class ChainWalk {
  readonly problems: AuditProblem[] = [];
  entries = 0;
  unsigned = 0;
  #previous: SignedAuditEntry | undefined;
  #signedSeen = false;
  /** Ids already reported as modified or forged: their successor's broken link says nothing more. */
  readonly #reported = new Set<number>();
  /** The stored hash of each entry a checkpoint names. */
  readonly #checkpointHashes = new Map<number, string>();

  constructor(
    private readonly db: Db,
    private readonly key: AuditKey,
    private readonly checkpoints: readonly CheckpointClaim[],
  ) {}

  get lastId(): number {
    return this.#previous?.id ?? 0;
  }

  async visit(entry: SignedAuditEntry): Promise<void> {
    this.entries++;
    const intact = auditEntryHash(entry.prev_hash, hashedFields(entry)) === entry.hash;
    if (!intact) {
      this.#report(
        entry.id,
        'modified',
        `entry ${entry.id} was modified: its fields no longer match its hash`,
      );
    } else {
      this.#checkSignature(entry);
    }
    if (entry.mac !== null) this.#signedSeen = true;
    if (this.checkpoints.some((claim) => claim.sequence === entry.id))
      this.#checkpointHashes.set(entry.id, entry.hash);
    await this.#checkLink(entry, intact);
    this.#previous = entry;
  }

  #checkSignature(entry: SignedAuditEntry): void {
    if (entry.mac === null) {
      // Unsigned entries are the ones written before signing began: only ever a prefix of the log.
      if (!this.#signedSeen) this.unsigned++;
      else this.#report(entry.id, 'forged', `entry ${entry.id} is not signed: it was written outside Tide`);
      return;
    }
    if (!macMatches(entryMac(this.key, entry.hash), entry.mac)) {
      this.#report(
        entry.id,
        'forged',
        `entry ${entry.id} was forged: its signature does not match (written or rewritten without the audit key)`,
      );
    }
  }

  async #checkLink(entry: SignedAuditEntry, intact: boolean): Promise<void> {
    const previous = this.#previous;
    const expectedId = this.lastId + 1;
    if (entry.id !== expectedId) {
      this.problems.push({
        id: expectedId,
        kind: 'deleted',
        message: deletedEntries(expectedId, entry.id - 1),
      });
      return;
    }
    // A modified entry's prev_hash may be the edited field; reporting the link too would say it twice.
    if (!intact || entry.prev_hash === (previous?.hash ?? GENESIS_HASH)) return;
    const linkedTo = await findAuditIdByHash(this.db, entry.prev_hash);
    if (linkedTo !== undefined) {
      this.problems.push({
        id: entry.id,
        kind: 'reordered',
        message: `entry ${entry.id} follows entry ${linkedTo} in the chain, not entry ${expectedId - 1}`,
      });
    } else if (previous && !this.#reported.has(previous.id)) {
      // The predecessor hashes consistently but is not the entry this one was linked to: it was replaced
      // (rewritten with a recomputed hash).
      this.#report(
        previous.id,
        'modified',
        `entry ${previous.id} was replaced: entry ${entry.id} no longer links to it`,
      );
    } else if (!previous) {
      this.problems.push({
        id: entry.id,
        kind: 'deleted',
        message: `entry ${entry.id} does not start the chain: the entries before it were deleted`,
      });
    }
  }

  /** The checks that need the whole walk: the head row and the checkpoints. */
  finish(head: AuditHead | undefined): AuditProblem[] {
    return [
      ...this.#headProblems(head),
      ...this.checkpoints.flatMap((claim) =>
        checkpointProblems(claim, this.key, this.lastId, this.#checkpointHashes.get(claim.sequence)),
      ),
    ];
  }

  #headProblems(head: AuditHead | undefined): AuditProblem[] {
    const last = this.#previous;
    const lastId = this.lastId;
    if (head === undefined) {
      const message = 'the chain head is missing: entries were written outside Tide';
      return last ? [{ id: lastId, kind: 'modified', message }] : [];
    }
    if (lastId < head.lastId)
      return [{ id: lastId + 1, kind: 'deleted', message: deletedEntries(lastId + 1, head.lastId) }];
    if (lastId > head.lastId) {
      return [
        {
          id: head.lastId + 1,
          kind: 'modified',
          message: `the chain head ends at entry ${head.lastId}, but entries up to ${lastId} exist: the head was moved, or entries were added outside Tide`,
        },
      ];
    }
    // The newest entry already reported explains a head rewritten to match it.
    if (this.#reported.has(lastId)) return [];
    if (last && last.hash !== head.lastHash)
      return [{ id: lastId, kind: 'modified', message: `entry ${lastId}, the newest, was rewritten` }];
    return this.#headSignatureProblems(head, last);
  }

  /**
   * The head is signed at every append, so a head that does not verify, while the rows end where it
   * says, was moved back over deleted entries without the key — which the rows left cannot show.
   * Unsigned is fine only while the newest entry is unsigned too (a log from before signing that nothing
   * was appended to since).
   */
  #headSignatureProblems(head: AuditHead, last: SignedAuditEntry | undefined): AuditProblem[] {
    const unsignedLog = head.mac === null && (last === undefined || last.mac === null);
    if (unsignedLog || macMatches(headMac(this.key, head.lastId, head.lastHash), head.mac)) return [];
    return [
      {
        id: head.lastId + 1,
        kind: 'truncated',
        message: `the chain head (entry ${head.lastId}) is not signed by the audit key: it was moved outside Tide, so the entries after ${head.lastId} were deleted (a checkpoint names how many)`,
      },
    ];
  }

  #report(id: number, kind: AuditProblem['kind'], message: string): void {
    this.#reported.add(id);
    this.problems.push({ id, kind, message });
  }
}
