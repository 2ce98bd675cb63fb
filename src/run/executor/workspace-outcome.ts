/**
 * What a run does to its workspace's status (SPEC §2), as pure functions of the run: which state-machine
 * event (src/workspace/workspace-state.ts) it sends when it starts and when it ends. Jobs and standalone
 * runs leave the status alone; a drift check only sets `drifted`.
 */
import type {
  DriftSummary,
  WorkspaceChange,
  WorkspaceStatus,
} from '../../workspace/workspace-status.repo.ts';
import { DEFAULT_MODE } from '../../config/config-model.ts';
import { driftAfterCheck, noDrift } from '../../drift/drift-outcome.ts';
import { isBusy } from '../../workspace/workspace-state.ts';
import type { RunState } from '../run-state.ts';
import type { Run } from '../run.ts';
import { STANDALONE_WORKSPACE } from '../run.ts';

type RunKind = Pick<Run, 'id' | 'action' | 'workspace' | 'mode' | 'config_hash'> & {
  job?: string | null;
};

/**
 * The steps that change infrastructure: the engine's apply (or its custom command) and a custom
 * destroy_command. A run stopped before one of them began changed nothing.
 */
export const INFRASTRUCTURE_STEPS: ReadonlySet<string> = new Set(['apply', 'destroy']);

/** `deploying` for a deploy or mode run, `destroying` for a destroy; nothing for the others. */
export function changeAtStart(run: RunKind): WorkspaceChange | null {
  // A job's run (or the destroy of a template job's sub-stack) leaves its workspace's status alone.
  if (run.workspace === STANDALONE_WORKSPACE || run.job) return null;
  if (run.action === 'deploy' || run.action === 'mode') return { event: 'deploy_started', runId: run.id };
  if (run.action === 'destroy') return { event: 'destroy_started', runId: run.id };
  return null;
}

export interface RunEnd {
  readonly state: Exclude<RunState, 'queued' | 'running'>;
  /** A drift check's finding; null when it found nothing (or the run is no drift check). */
  readonly drifted: boolean | null;
  /** The plan's summary and changed resources, for a drift check's record. */
  readonly planSummary?: DriftSummary | null;
  readonly changedAddresses?: readonly string[] | null;
  /** When the run ended. */
  readonly at: Date;
  /** The run recorded its start on the workspace (changeAtStart): only then does its end move it on. */
  readonly started: boolean;
  /** A step that changes infrastructure began (INFRASTRUCTURE_STEPS). */
  readonly applyBegan: boolean;
}

/**
 * The change a finished run makes. A deploy or destroy that succeeded completes; one canceled before its
 * apply began changed nothing and puts the workspace back as it was; any other end (failure, timeout,
 * a cancel during apply) leaves it `deploy_failed` / `destroy_failed`: resources may be partly there.
 */
export function changeAtEnd(
  run: RunKind,
  end: RunEnd,
  current: WorkspaceStatus | null,
): WorkspaceChange | null {
  if (run.workspace === STANDALONE_WORKSPACE || run.job) return null;
  switch (run.action) {
    case 'deploy':
    case 'mode':
    case 'destroy': {
      if (!end.started) return null;
      if (end.state === 'succeeded') {
        // What is deployed now: its mode and the config it was deployed from, so the scheduler can tell
        // a repeat deploy of the same thing (nothing to do) from one of a changed config.
        const deployed = run.action !== 'destroy';
        const fields = deployed
          ? { mode: run.mode ?? DEFAULT_MODE, config_hash: run.config_hash, ...noDrift }
          : { mode: null, config_hash: null, ...noDrift };
        return { event: 'completed', runId: run.id, fields };
      }
      if (end.state === 'canceled' && !end.applyBegan) {
        return { event: 'canceled_before_apply', runId: run.id };
      }
      return { event: 'failed', runId: run.id };
    }
    case 'plan': {
      if (end.state !== 'succeeded' || end.drifted === null) return null;
      const fields = driftAfterCheck(current, {
        runId: run.id,
        drifted: end.drifted,
        summary: end.planSummary ?? null,
        addresses: end.changedAddresses ?? [],
        at: end.at,
      });
      return fields ? { event: null, runId: run.id, fields } : null;
    }
    case 'job':
      return null;
  }
}

/**
 * A run whose runner died (crash, kill -9, lost node): if it was changing its workspace, the change
 * failed — what it did before it died is unknown. A workspace it never marked busy is left alone.
 */
export function changeAfterOrphan(run: RunKind, current: WorkspaceStatus | null): WorkspaceChange | null {
  if (!current || !isBusy(current.status) || current.last_run_id !== run.id) return null;
  return { event: 'failed', runId: run.id };
}
