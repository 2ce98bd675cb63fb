/**
 * The writes that move a run and its workspace's status together, each one transaction: the run's row is
 * locked first, then the workspace's (the same order everywhere, so two of these never deadlock). A crash
 * or a failed write anywhere in one rolls back both, so a workspace is never left `deploying` with no
 * run, nor a run finished with its workspace still busy.
 */
import { inTransaction } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import {
  applyWorkspaceChange,
  lockWorkspaceStatus,
  type WorkspaceChange,
  type WorkspaceStatus,
} from '../workspace/workspace-status.repo.ts';
import { applyTtlEffect } from '../workspace/ttl.repo.ts';
import type { TtlEffect } from '../workspace/ttl.ts';
import { randomUUID } from 'node:crypto';
import { advanceChain, insertChain, type ChainPlan } from './job-chain.repo.ts';
import type { RunState } from './run-state.ts';
import { assertHoldsLease, lockRun, updateRunState, type Fence, type RunStateUpdate } from './run.repo.ts';
import type { Run } from './run.ts';

export interface RunOutcome {
  readonly run: Run;
  /** The workspace's status after the change; null when the run changed nothing there. */
  readonly workspace: WorkspaceStatus | null;
  /**
   * Runs the outcome queued or changed in the same transaction, to announce: the job chains it fired
   * (event triggers, a template job's destroy) and the runs of its own chain it released or skipped.
   */
  readonly chained: readonly Run[];
}

/**
 * The chains a finished run fires, decided from the run (its final state), the change it made to its
 * workspace (`completed`, `failed`, … or null) and the configuration.
 */
export type ChainsFired = (run: Run, change: WorkspaceChange | null) => readonly ChainPlan[];

/**
 * Told, inside the outcome's transaction, how the run changed its workspace's row (before and after; both
 * null when it changed nothing): for writes that must commit with the outcome or not at all (a drift's
 * announcement, src/drift/).
 */
export type OutcomeApplied = (
  trx: Db,
  run: Run,
  before: WorkspaceStatus | null,
  after: WorkspaceStatus | null,
) => Promise<void>;

/**
 * Announces a finished run (notifications, src/notification/run-notifications.ts) inside the transaction
 * that records it, so the announcement exists if and only if the outcome does.
 */
export type OutcomeAnnouncer = (trx: Db, run: Run) => Promise<unknown>;

/** What else commits with a run's outcome, each in its transaction (see finishRun). */
export interface OutcomeHooks {
  /** The chains the outcome fires (jobs on @deployment and the like). */
  readonly fires?: ChainsFired | undefined;
  /** Told how the run changed its workspace's row (a drift's announcement). */
  readonly applied?: OutcomeApplied | undefined;
  /** What the outcome does to the workspace's TTL (src/workspace/ttl.ts). */
  readonly ttlOf?: ((run: Run) => TtlEffect) | undefined;
  /** The run's notifications. */
  readonly announce?: OutcomeAnnouncer | undefined;
}

/**
 * Records that a claimed run began changing its workspace (`deploying` / `destroying`), fenced: a runner
 * that lost its lease (the reaper may already have failed the run and repaired the workspace) gets
 * `conflict` and writes nothing.
 */
export async function recordRunStart(
  db: Db,
  run: Pick<Run, 'id' | 'workspace'>,
  fence: Fence,
  change: WorkspaceChange,
  now: Date,
): Promise<WorkspaceStatus> {
  return storeCall('recordRunStart', () =>
    inTransaction(db, async (trx) => {
      assertHoldsLease(await lockRun(trx, run.id), fence);
      return applyWorkspaceChange(trx, run.workspace, change, now);
    }),
  );
}

/**
 * Moves a run to its final state and applies what that does to its workspace, decided by `decide` from
 * the finished run and the workspace's locked row (null if it has none). In the same transaction: the
 * run's own chain moves on (job-chain.repo.ts), and the chains its outcome fires (`fires`) are queued, so
 * an event is recorded if and only if the outcome that fired it is. So is what the outcome does to the
 * workspace's TTL (`ttlOf`, src/workspace/ttl.ts).
 */
export async function finishRun(
  db: Db,
  id: string,
  to: Exclude<RunState, 'queued' | 'running'>,
  now: Date,
  update: Omit<RunStateUpdate, 'lease'>,
  decide: (run: Run, current: WorkspaceStatus | null) => WorkspaceChange | null,
  { fires, applied, ttlOf, announce }: OutcomeHooks = {},
): Promise<RunOutcome> {
  return storeCall('finishRun', () =>
    inTransaction(db, async (trx) => {
      const run = await updateRunState(trx, id, to, now, update);
      const before = await lockWorkspaceStatus(trx, run.workspace);
      const change = decide(run, before);
      const workspace = change ? await applyWorkspaceChange(trx, run.workspace, change, now) : null;
      await applied?.(trx, run, workspace ? before : null, workspace);
      if (ttlOf) await applyTtlEffect(trx, run, ttlOf(run), now);
      const chained = [...(await advanceChain(trx, run, now))];
      for (const plan of fires?.(run, change) ?? []) {
        chained.push(...(await insertChain(trx, plan, { chainId: randomUUID(), runId: randomUUID }, now)));
      }
      await announce?.(trx, run);
      return { run, workspace, chained };
    }),
  );
}

/**
 * Cancels a queued run, and skips the runs of its chain that depended on it, in one transaction. Throws
 * `illegal_transition` when the run is no longer queued (claimed meanwhile).
 */
export async function cancelQueuedRun(
  db: Db,
  id: string,
  now: Date,
  reason: string,
): Promise<{ run: Run; chained: readonly Run[] }> {
  return storeCall('cancelQueuedRun', () =>
    inTransaction(db, async (trx) => {
      const run = await updateRunState(trx, id, 'canceled', now, { reason });
      return { run, chained: await advanceChain(trx, run, now) };
    }),
  );
}

/**
 * Queues a chain on its own (a manual run of a job with dependents, `@startup`), or in the caller's
 * transaction (a cron firing's, with its ledger row). Returns the runs it queued.
 */
export async function queueChain(db: Db, plan: ChainPlan, now: Date): Promise<Run[]> {
  return storeCall('queueChain', () =>
    inTransaction(db, (trx) => insertChain(trx, plan, { chainId: randomUUID(), runId: randomUUID }, now)),
  );
}
