/**
 * Nothing is left `running` forever (SPEC §5): a running run whose lease expired lost its runner (crash,
 * kill -9, lost node), so it is marked `failed` with reason `orphaned` and its workspace released — its
 * status repaired from `deploying` / `destroying` to the matching failure. Safe on every replica at once:
 * each run's transition happens under its row lock, and a run another reaper got first is skipped.
 */
import { TideError } from '../errors/tide-error.ts';
import type { EventHub } from '../events/event-hub.ts';
import type { Db } from '../store/schema.ts';
import { getWorkspaceStatus, upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { statusAfterOrphan } from './executor/workspace-outcome.ts';
import { findExpiredLeases, updateRunState } from './run.repo.ts';
import { STANDALONE_WORKSPACE, type Run } from './run.ts';

export const ORPHANED = 'orphaned';

/** Returns the runs it marked failed. */
export async function reapOrphans(db: Db, now: Date, hub: EventHub): Promise<Run[]> {
  const reaped: Run[] = [];
  for (const expired of await findExpiredLeases(db, now)) {
    let failed: Run;
    try {
      // No fence: the owner is gone, and a runner that is merely slow finds its lease lost and stops.
      failed = await updateRunState(db, expired.id, 'failed', now, { reason: ORPHANED });
    } catch (error) {
      if (error instanceof TideError && error.code === 'illegal_transition') continue; // finished meanwhile
      throw error;
    }
    reaped.push(failed);
    hub.emit('run.updated', failed);
    await repairWorkspace(db, failed, now, hub);
  }
  return reaped;
}

async function repairWorkspace(db: Db, run: Run, now: Date, hub: EventHub): Promise<void> {
  if (run.workspace === STANDALONE_WORKSPACE || run.action === 'job' || run.action === 'plan') return;
  const current = await getWorkspaceStatus(db, run.workspace);
  const repaired = current ? statusAfterOrphan(current.status) : null;
  if (!repaired) return;
  const status = await upsertWorkspaceStatus(
    db,
    run.workspace,
    { status: repaired, last_run_id: run.id },
    now,
  );
  hub.emit('workspace.status', { workspace: status.workspace, status: status.status, mode: status.mode });
}
