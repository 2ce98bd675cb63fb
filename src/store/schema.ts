import type { Generated, Kysely } from 'kysely';
import type { RunAction, RunState, RunTrigger } from '../run/run-state.ts';

/*
 * Row types as the database holds them, shared by both dialects:
 * - instants are `string`: timestamptz on PostgreSQL (parsed back to ISO-8601 UTC by the pool's type
 *   parser), ISO-8601 UTC TEXT on SQLite, always written with toISOString() so text order is time order;
 * - JSON columns are TEXT on both and parsed in the repositories;
 * - booleans are integers 0/1 on both.
 */

export type Instant = string;
export type IntBool = 0 | 1;

export const workspaceObservedStatuses = [
  'destroyed',
  'deploying',
  'deployed',
  'destroying',
  'deploy_failed',
  'destroy_failed',
] as const;
export type WorkspaceObservedStatus = (typeof workspaceObservedStatuses)[number];

export const firingOutcomes = ['fired', 'skipped', 'missed', 'superseded'] as const;
export type FiringOutcome = (typeof firingOutcomes)[number];

export const logStreams = ['stdout', 'stderr', 'system'] as const;
export type LogStream = (typeof logStreams)[number];

export interface WorkspaceStatusTable {
  workspace: string;
  status: Generated<WorkspaceObservedStatus>;
  mode: string | null;
  drifted: Generated<IntBool>;
  /** Set by the API's enable/disable; null means "as configured". */
  enabled_override: IntBool | null;
  config_hash: string | null;
  config_error: string | null;
  last_run_id: string | null;
  deployed_at: Instant | null;
  destroyed_at: Instant | null;
  status_changed_at: Instant | null;
  updated_at: Instant;
}

export interface FiringsTable {
  id: Generated<number>;
  workspace: string;
  schedule_key: string;
  action: string;
  mode: string | null;
  scheduled_at: Instant;
  outcome: FiringOutcome;
  reason: string | null;
  run_id: string | null;
  recorded_at: Instant;
}

export interface RunsTable {
  id: string;
  workspace: string;
  job: string | null;
  action: RunAction;
  mode: string | null;
  state: RunState;
  trigger: RunTrigger;
  actor: string | null;
  attempt: Generated<number>;
  retry_of: string | null;
  firing_id: number | null;
  lock_key: string;
  priority: number;
  created_at: Instant;
  started_at: Instant | null;
  finished_at: Instant | null;
  exit_code: number | null;
  reason: string | null;
  /** JSON text: {"add", "change", "destroy"}. */
  plan_summary: string | null;
  /** JSON text, sensitive values already redacted. */
  outputs: string | null;
  lease_owner: string | null;
  lease_expires_at: Instant | null;
  fencing_token: Generated<number>;
  config_hash: string | null;
  not_before: Instant | null;
  cancel_requested_at: Instant | null;
}

export interface SchedulerCheckpointsTable {
  workspace: string;
  evaluated_until: Instant;
}

export interface RunLogChunksTable {
  run_id: string;
  seq: number;
  created_at: Instant;
  stream: LogStream;
  content: string;
}

export interface Database {
  workspace_status: WorkspaceStatusTable;
  firings: FiringsTable;
  runs: RunsTable;
  run_log_chunks: RunLogChunksTable;
  scheduler_checkpoints: SchedulerCheckpointsTable;
}

/** What every repository takes as its first argument: the database, or a transaction on it. */
export type Db = Kysely<Database>;
