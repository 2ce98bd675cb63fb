import { TideError } from '../errors/tide-error.ts';
import type { PlanSummary } from '../engine/plan-summary.ts';
import type { Run } from './run.ts';
import { canTransition, isDone, type RunState } from './run-state.ts';

/** What a caller may record alongside a state change. */
export interface RunTransitionFields {
  exit_code?: number | null;
  reason?: string | null;
  plan_summary?: PlanSummary | null;
  outputs?: Record<string, unknown> | null;
}

export type RunStateChange = Pick<Run, 'state' | 'started_at' | 'finished_at'> & RunTransitionFields;

/**
 * The one place a run changes state. Pure: the caller locks the row, calls this, and saves the result.
 * Entering `running` stamps started_at; entering a terminal state stamps finished_at.
 */
export function transitionRun(
  run: Pick<Run, 'id' | 'state' | 'started_at' | 'finished_at'>,
  to: RunState,
  now: Date,
  fields: RunTransitionFields = {},
): RunStateChange {
  if (!canTransition(run.state, to)) {
    throw new TideError('illegal_transition', `run ${run.id} cannot go from ${run.state} to ${to}`, {
      details: { run_id: run.id, from: run.state, to },
    });
  }
  const at = now.toISOString();
  return {
    ...fields,
    state: to,
    started_at: to === 'running' ? at : run.started_at,
    finished_at: isDone(to) ? at : run.finished_at,
  };
}
