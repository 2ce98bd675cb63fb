import type { PlanSummary } from '../engine/plan-summary.ts';
import { TideError } from '../errors/tide-error.ts';
import type { RunAction, RunState, RunTrigger } from './run-state.ts';

/** The pseudo-workspace of standalone jobs. Workspace names match ^[a-z0-9]…, so it never collides. */
export const STANDALONE_WORKSPACE = '_standalone_';

/** Priorities: lower is claimed first. Manual and API runs go ahead of scheduled ones (SPEC §4). */
export const PRIORITY_INTERACTIVE = 0;
export const PRIORITY_SCHEDULED = 1;

/** One execution, as the store returns it: instants are ISO-8601 UTC strings, JSON columns parsed. */
export interface Run {
  id: string;
  workspace: string;
  job: string | null;
  action: RunAction;
  mode: string | null;
  state: RunState;
  trigger: RunTrigger;
  actor: string | null;
  attempt: number;
  retry_of: string | null;
  firing_id: number | null;
  /** At most one running run per lock key, enforced by a unique index. */
  lock_key: string;
  priority: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
  reason: string | null;
  plan_summary: PlanSummary | null;
  outputs: Record<string, unknown> | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  /** Incremented on every claim, so a runner that lost its lease can tell. */
  fencing_token: number;
  config_hash: string | null;
  /** Not claimed before this instant (retry backoff, jitter). */
  not_before: string | null;
  /** A cancel was requested; the runner holding the lease stops the run. */
  cancel_requested_at: string | null;
  /** The TTL a manual deploy asked for, in seconds (src/workspace/ttl.ts); null: the workspace's `ttl`. */
  ttl_seconds: number | null;
}

/**
 * Every run in a workspace's context (deploys, destroys and the workspace's jobs) shares the workspace's
 * lock; a standalone job only excludes itself.
 */
export function lockKeyFor(run: { workspace: string; job?: string | null }): string {
  if (run.workspace === STANDALONE_WORKSPACE) {
    if (!run.job) throw new TideError('invalid_argument', 'a standalone run must name its job');
    return `job:${run.job}`;
  }
  return run.workspace;
}

export function priorityFor(trigger: RunTrigger): number {
  return trigger === 'manual' || trigger === 'api' ? PRIORITY_INTERACTIVE : PRIORITY_SCHEDULED;
}
