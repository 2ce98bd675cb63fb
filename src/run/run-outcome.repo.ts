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
import type { RunState } from './run-state.ts';
import { assertHoldsLease, lockRun, updateRunState, type Fence, type RunStateUpdate } from './run.repo.ts';
import type { Run } from './run.ts';

export interface RunOutcome {
  readonly run: Run;
  /** The workspace's status after the change; null when the run changed nothing there. */
  readonly workspace: WorkspaceStatus | null;
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
 * the finished run and the workspace's locked row (null if it has none).
 */
export async function finishRun(
  db: Db,
  id: string,
  to: Exclude<RunState, 'queued' | 'running'>,
  now: Date,
  update: Omit<RunStateUpdate, 'lease'>,
  decide: (run: Run, current: WorkspaceStatus | null) => WorkspaceChange | null,
): Promise<RunOutcome> {
  return storeCall('finishRun', () =>
    inTransaction(db, async (trx) => {
      const run = await updateRunState(trx, id, to, now, update);
      const change = decide(run, await lockWorkspaceStatus(trx, run.workspace));
      const workspace = change ? await applyWorkspaceChange(trx, run.workspace, change, now) : null;
      return { run, workspace };
    }),
  );
}
