/**
 * Nothing is left `running` forever (SPEC §5): a running run whose lease expired lost its runner (crash,
 * kill -9, lost node), so it is marked `failed` with reason `orphaned` and its workspace released — its
 * status, if the run was changing it, moved from `deploying` / `destroying` to the matching failure in the
 * same transaction. Safe on every replica at once: each run's transition happens under its row lock, and
 * a run another reaper got first is skipped.
 */
import { TideError } from '../errors/tide-error.ts';
import type { RunEventBus } from './run-events.ts';
import type { Db } from '../store/schema.ts';
import { changeAfterOrphan } from './executor/workspace-outcome.ts';
import { finishRun, type ChainsFired, type OutcomeAnnouncer, type RunOutcome } from './run-outcome.repo.ts';
import { findExpiredLeases } from './run.repo.ts';
import type { Run } from './run.ts';

export const ORPHANED = 'orphaned';

/** Returns the runs it marked failed. */
export async function reapOrphans(
  db: Db,
  now: Date,
  hub: RunEventBus,
  fires?: ChainsFired,
  announce?: OutcomeAnnouncer,
): Promise<Run[]> {
  const reaped: Run[] = [];
  for (const expired of await findExpiredLeases(db, now)) {
    let outcome: RunOutcome;
    try {
      // No fence: the owner is gone, and a runner that is merely slow finds its lease lost and stops.
      outcome = await finishRun(db, expired.id, 'failed', now, { reason: ORPHANED }, changeAfterOrphan, {
        fires,
        announce,
      });
    } catch (error) {
      if (error instanceof TideError && error.code === 'illegal_transition') continue; // finished meanwhile
      throw error;
    }
    reaped.push(outcome.run);
    hub.emit('run.updated', outcome.run);
    for (const other of outcome.chained) hub.emit('run.updated', other);
    const { workspace } = outcome;
    if (workspace)
      hub.emit('workspace.status', {
        workspace: workspace.workspace,
        status: workspace.status,
        mode: workspace.mode,
      });
  }
  return reaped;
}
