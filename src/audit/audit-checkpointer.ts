/**
 * The periodic audit checkpoint (docs/decisions/009-audit-anchor.md): reads the chain head, sets
 * `tide_audit_head_sequence`, and — when the head moved — logs a signed checkpoint line and replaces
 * `<data>/audit-checkpoint`. Before moving on it checks that the log still holds the previous
 * checkpoint's entry unchanged and that the head is signed; if not, it logs the problems at error level
 * and keeps the file, which is then the evidence `tide audit verify` reports from.
 */
import type { Logger } from '../log/logger.ts';
import { toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { periodic, type PeriodicOptions, type Subsystem } from '../supervisor/subsystem.ts';
import type { Clock } from '../time/clock.ts';
import {
  checkpointProblems,
  readCheckpointFile,
  signCheckpoint,
  writeCheckpointFile,
  type AuditCheckpoint,
} from './audit-checkpoint.ts';
import { GENESIS_HASH } from './audit-hash.ts';
import { headMac, macMatches, type AuditKey } from './audit-mac.ts';
import type { AuditProblem } from './audit-problem.ts';
import { readAuditHash, readAuditHead } from './audit.repo.ts';

/** How often the head is checkpointed: the longest a removal of the newest entries can stay unanchored. */
export const AUDIT_CHECKPOINT_INTERVAL_MS = 60_000;

export interface AuditCheckpointDeps {
  readonly db: Db;
  readonly key: AuditKey;
  readonly clock: Clock;
  readonly dataDir: string;
  readonly logger: Pick<Logger, 'info' | 'error'>;
  /** `tide_audit_head_sequence`. */
  readonly headSequence: { set(value: number): void };
}

export type CheckpointOutcome =
  | { readonly kind: 'written'; readonly checkpoint: AuditCheckpoint }
  /** The head has not moved since the checkpoint in the file. */
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'tampered'; readonly problems: readonly AuditProblem[] };

/**
 * Takes one checkpoint. `always` logs and writes one even when the head has not moved (at start, so
 * every process's log begins with one).
 */
export async function checkpointAuditLog(
  deps: AuditCheckpointDeps,
  options: { always?: boolean } = {},
): Promise<CheckpointOutcome> {
  const { db, key, dataDir, logger } = deps;
  // The file first: the head only grows, so a checkpoint another process writes meanwhile is never
  // ahead of the head read after it.
  const previous = await readCheckpointFile(dataDir);
  const head = await readAuditHead(db);
  const sequence = head?.lastId ?? 0;
  const hash = head?.lastHash ?? GENESIS_HASH;
  deps.headSequence.set(sequence);
  const problems: AuditProblem[] = [];
  if (head?.mac && !macMatches(headMac(key, head.lastId, head.lastHash), head.mac)) {
    problems.push({
      id: sequence,
      kind: 'truncated',
      message: `the chain head (entry ${sequence}) is not signed by the audit key: it was moved outside Tide`,
    });
  }
  if (previous) {
    const storedHash = previous.sequence > 0 ? await readAuditHash(db, previous.sequence) : undefined;
    problems.push(...checkpointProblems(previous, key, sequence, storedHash));
  }
  if (problems.length > 0) {
    logger.error(
      { problems: problems.map((problem) => problem.message), head: { sequence, hash } },
      'the audit log no longer matches its checkpoint: run tide audit verify; the checkpoint file is kept',
    );
    return { kind: 'tampered', problems };
  }
  if (!options.always && previous?.sequence === sequence && previous.hash === hash)
    return { kind: 'unchanged' };

  const checkpoint = signCheckpoint(key, sequence, hash, toInstant(deps.clock.now()));
  await writeCheckpointFile(dataDir, checkpoint);
  logger.info({ audit_checkpoint: checkpoint }, 'audit checkpoint');
  return { kind: 'written', checkpoint };
}

/**
 * The checkpoints as a supervised subsystem (src/supervisor/): one at once — written and logged even when
 * the head has not moved, so every process's log starts with one — then one every `intervalMs`. A tick
 * that cannot read the log fails the subsystem: the supervisor restarts it after a backoff and readiness
 * shows it. A log that no longer matches is not a failure of the loop: it is logged and the loop goes on.
 */
export function auditCheckpoints(
  deps: AuditCheckpointDeps,
  options: PeriodicOptions & { readonly intervalMs?: number } = {},
): Subsystem {
  let first = true;
  const tick = async (): Promise<void> => {
    await checkpointAuditLog(deps, { always: first });
    first = false;
  };
  return periodic('audit-checkpoint', options.intervalMs ?? AUDIT_CHECKPOINT_INTERVAL_MS, tick, options);
}
