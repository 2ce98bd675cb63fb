/**
 * A run as the API shows it (SPEC §6). Queue internals (lock key, priority, lease, fencing token) stay
 * out: they change under a client's feet and mean nothing outside the worker.
 */
import type { Run } from './run.ts';

export type RunView = Pick<
  Run,
  | 'id'
  | 'workspace'
  | 'job'
  | 'action'
  | 'mode'
  | 'state'
  | 'trigger'
  | 'actor'
  | 'attempt'
  | 'retry_of'
  | 'firing_id'
  | 'created_at'
  | 'started_at'
  | 'finished_at'
  | 'exit_code'
  | 'reason'
  | 'plan_summary'
  | 'outputs'
  | 'not_before'
  | 'cancel_requested_at'
  | 'config_hash'
>;

export function toRunView(run: Run): RunView {
  return {
    id: run.id,
    workspace: run.workspace,
    job: run.job,
    action: run.action,
    mode: run.mode,
    state: run.state,
    trigger: run.trigger,
    actor: run.actor,
    attempt: run.attempt,
    retry_of: run.retry_of,
    firing_id: run.firing_id,
    created_at: run.created_at,
    started_at: run.started_at,
    finished_at: run.finished_at,
    exit_code: run.exit_code,
    reason: run.reason,
    plan_summary: run.plan_summary,
    outputs: run.outputs,
    not_before: run.not_before,
    cancel_requested_at: run.cancel_requested_at,
    config_hash: run.config_hash,
  };
}
