/**
 * How a run moves its workspace's observed status (SPEC §2), as pure functions of the run. Jobs and
 * standalone runs leave the status alone; a drift check only sets `drifted`.
 */
import type { WorkspaceObservedStatus } from '../../store/schema.ts';
import type { WorkspaceStatusPatch } from '../../workspace/workspace-status.repo.ts';
import type { RunState } from '../run-state.ts';
import type { Run } from '../run.ts';
import { STANDALONE_WORKSPACE } from '../run.ts';

type RunKind = Pick<Run, 'id' | 'action' | 'workspace' | 'mode'>;

/** What the workspace shows while the run executes: `deploying` / `destroying`. */
export function statusAtStart(run: RunKind): WorkspaceStatusPatch | null {
  if (run.workspace === STANDALONE_WORKSPACE) return null;
  if (run.action === 'deploy' || run.action === 'mode') return { status: 'deploying', last_run_id: run.id };
  if (run.action === 'destroy') return { status: 'destroying', last_run_id: run.id };
  return null;
}

/**
 * The status a finished run leaves. A canceled or timed-out deploy counts as failed: what the engine
 * managed to create before it stopped is unknown, so the workspace is not `deployed`.
 */
export function statusAtEnd(
  run: RunKind,
  state: RunState,
  drifted: boolean | null,
): WorkspaceStatusPatch | null {
  if (run.workspace === STANDALONE_WORKSPACE) return null;
  const ok = state === 'succeeded';
  switch (run.action) {
    case 'deploy':
    case 'mode':
      return ok
        ? { status: 'deployed', mode: run.mode ?? 'default', drifted: false, last_run_id: run.id }
        : { status: 'deploy_failed', last_run_id: run.id };
    case 'destroy':
      return ok
        ? { status: 'destroyed', mode: null, drifted: false, last_run_id: run.id }
        : { status: 'destroy_failed', last_run_id: run.id };
    case 'plan':
      return ok && drifted !== null ? { drifted, last_run_id: run.id } : null;
    case 'job':
      return null;
  }
}

/** The status to repair when a run's runner died mid-run: `deploying` → `deploy_failed`, and so on. */
export function statusAfterOrphan(current: WorkspaceObservedStatus): WorkspaceObservedStatus | null {
  if (current === 'deploying') return 'deploy_failed';
  if (current === 'destroying') return 'destroy_failed';
  return null;
}
