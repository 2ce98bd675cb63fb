import type { Generated, Kysely } from 'kysely';

/*
 * Row types as the database holds them, shared by both dialects:
 * - instants are `string`: timestamptz on PostgreSQL (parsed back to ISO-8601 UTC by the pool's type
 *   parser), ISO-8601 UTC TEXT on SQLite, always written with toISOString() so text order is time order;
 * - JSON columns are TEXT on both and parsed in the repositories;
 * - booleans are integers 0/1 on both.
 */

export type Instant = string;
export type IntBool = 0 | 1;

/*
 * The closed sets of values the enum columns hold. The store owns them so it imports no domain module;
 * the run and workspace state machines (src/run/run-state.ts, src/workspace/workspace-state.ts) are built
 * on these lists and export them under the same names.
 */

export const workspaceObservedStatuses = [
  'destroyed',
  'deploying',
  'deployed',
  'destroying',
  'deploy_failed',
  'destroy_failed',
] as const;
export type WorkspaceObservedStatus = (typeof workspaceObservedStatuses)[number];

export const runStates = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'canceled',
  'timed_out',
  'skipped',
] as const;
export type RunState = (typeof runStates)[number];

export const runActions = ['deploy', 'destroy', 'plan', 'job', 'mode'] as const;
export type RunAction = (typeof runActions)[number];

export const runTriggers = [
  'schedule',
  'window',
  'manual',
  'api',
  'dependency',
  'retry',
  'ttl',
  'event',
] as const;
export type RunTrigger = (typeof runTriggers)[number];

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
  /** The status before the run in progress; set exactly while `deploying` / `destroying`. */
  status_before_run: WorkspaceObservedStatus | null;
  deployed_at: Instant | null;
  destroyed_at: Instant | null;
  status_changed_at: Instant | null;
  updated_at: Instant;
  /** The last drift check that ended (docs/drift.md). */
  drift_checked_at: Instant | null;
  /** When the workspace became drifted; null while it is not. Keys its remediation in the ledger. */
  drift_since: Instant | null;
  drift_run_id: string | null;
  /** JSON `{add, change, destroy}` of the last check that found drift. */
  drift_summary: string | null;
  /** JSON array of the resource addresses that check found changed. */
  drift_addresses: string | null;
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
  /** The TTL a manual deploy asked for (src/workspace/ttl.ts); null: the workspace's `ttl`, if any. */
  ttl_seconds: Generated<number | null>;
}

/** A running TTL: the workspace is destroyed (trigger `ttl`) at `destroy_at` (src/workspace/ttl.ts). */
export interface WorkspaceTtlTable {
  workspace: string;
  destroy_at: Instant;
  /** The manual deploy whose success set it. */
  run_id: string;
  set_at: Instant;
}

/** A reminder before a destroy, sent once per (workspace, destroy_at, lead_seconds) (src/workspace/reminders.ts). */
export interface RemindersSentTable {
  workspace: string;
  destroy_at: Instant;
  lead_seconds: number;
  /** `ttl` or `schedule`. */
  kind: string;
  sent_at: Instant;
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

export const auditResults = ['success', 'failure', 'denied'] as const;
export type AuditResult = (typeof auditResults)[number];

/** Append-only, hash-chained (src/audit/audit-hash.ts); ids are dense, assigned under the chain lock. */
export interface AuditLogTable {
  id: number;
  at: Instant;
  actor: string;
  action: string;
  target: string | null;
  result: AuditResult;
  source_ip: string | null;
  request_id: string | null;
  /** JSON text (canonical: keys sorted), or null. */
  details: string | null;
  prev_hash: string;
  hash: string;
  /** HMAC of `hash` under TIDE_AUDIT_KEY (src/audit/audit-mac.ts); null on entries older than signing. */
  mac: string | null;
}

/** One row (id 1): where the audit chain ends, so deleting the newest entries is detected. */
export interface AuditLogHeadTable {
  id: number;
  last_id: number;
  last_hash: string;
  /** HMAC of `last_id` and `last_hash` under TIDE_AUDIT_KEY: the head cannot be moved without the key. */
  mac: string | null;
}

/** Fixed-window hit counters, shared by every replica (src/http/rate-limiter.ts). */
export interface RateLimitsTable {
  key: string;
  window_start: Instant;
  expires_at: Instant;
  count: number;
}

/** One sensitive variable value, AES-256-GCM encrypted (src/secrets/secret-cipher.ts); base64 text fields. */
export interface WorkspaceSecretsTable {
  workspace: string;
  name: string;
  ciphertext: string;
  iv: string;
  tag: string;
  /** Which key encrypted it (src/secrets/encryption-key.ts): rows under an old key are re-encrypted. */
  key_id: string;
  updated_at: Instant;
}

/** One version of a workspace's engine state (src/state/): gzip, then AES-256-GCM; base64 text fields. */
export interface StateVersionsTable {
  id: Generated<number>;
  /** The workspace, or `_jobs/<scope>/<job>` for a template job's own stack. */
  state_key: string;
  serial: number;
  lineage: string;
  /** SHA-256 (hex) of the plaintext state. */
  checksum: string;
  /** Bytes of the plaintext state. */
  size: number;
  /** 1: the engine deleted the state; the row holds no content. */
  deleted: Generated<IntBool>;
  run_id: string | null;
  /** `run:<id>`, `user:<name>` (rollback) or `import:<file>`. */
  written_by: string;
  created_at: Instant;
  ciphertext: string;
  iv: string;
  tag: string;
  key_id: string;
}

/** The engine's lock on one state key, held by a run; a lock of a run that is no longer live is stale. */
export interface StateLocksTable {
  state_key: string;
  /** The engine's lock ID (a UUID it generates). */
  lock_id: string;
  run_id: string;
  /** The engine's lock info, JSON text (who, operation, when), shown to a blocked engine. */
  info: string;
  created_at: Instant;
}

/** A person who logs in (src/auth/). `role` is admin, operator or viewer. */
export interface UsersTable {
  id: string;
  username: string;
  /** argon2id, PHC string (parameters included). */
  password_hash: string;
  role: string;
  /** JSON array of workspace name patterns; null = every workspace. */
  workspaces: string | null;
  disabled: Generated<IntBool>;
  created_at: Instant;
  password_changed_at: Instant;
}

/** One login session: the refresh tokens rotated from one login, revoked together. */
export interface RefreshTokenFamiliesTable {
  id: string;
  user_id: string;
  created_at: Instant;
  revoked_at: Instant | null;
  /** `logout`, `reuse`, `password_change`, `user_disabled`. */
  revoke_reason: string | null;
}

export interface RefreshTokensTable {
  /** SHA-256 (hex) of the opaque token; the token itself is never stored. */
  token_hash: string;
  family_id: string;
  created_at: Instant;
  expires_at: Instant;
  /** Set when exchanged: a second exchange is a reuse and revokes the family. */
  used_at: Instant | null;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  /** The user who created it: the token never has more than that user has now. */
  user_id: string;
  role: string;
  workspaces: string | null;
  created_at: Instant;
  expires_at: Instant | null;
  revoked_at: Instant | null;
}

/** Failed-login counters per `user:<name>` and `ip:<address>` (src/auth/login-failures.repo.ts). */
export interface LoginFailuresTable {
  key: string;
  /** Wrong passwords counted in the window. */
  failures: number;
  /** Password checks reserved and not yet settled: they count toward the threshold while they run. */
  pending: Generated<number>;
  window_started_at: Instant;
  locked_until: Instant | null;
}

/**
 * A user who signs in through the identity provider (src/auth/oidc/): the provider's `iss` + `sub`
 * name the person; the username is only what Tide shows. One identity per user and one user per identity.
 */
export interface OidcIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: Instant;
  last_login_at: Instant;
}

export interface Database {
  workspace_status: WorkspaceStatusTable;
  firings: FiringsTable;
  runs: RunsTable;
  run_log_chunks: RunLogChunksTable;
  scheduler_checkpoints: SchedulerCheckpointsTable;
  audit_log: AuditLogTable;
  audit_log_head: AuditLogHeadTable;
  rate_limits: RateLimitsTable;
  workspace_secrets: WorkspaceSecretsTable;
  users: UsersTable;
  refresh_token_families: RefreshTokenFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  api_tokens: ApiTokensTable;
  login_failures: LoginFailuresTable;
  oidc_identities: OidcIdentitiesTable;
  state_versions: StateVersionsTable;
  state_locks: StateLocksTable;
  templates: TemplatesTable;
  run_waits: RunWaitsTable;
  job_chains: JobChainsTable;
  job_chain_runs: JobChainRunsTable;
  job_startup_marker: JobStartupMarkerTable;
  environment_assignments: EnvironmentAssignmentsTable;
  environment_switches: EnvironmentSwitchesTable;
  backups: BackupsTable;
  workspace_ttl: WorkspaceTtlTable;
  reminders_sent: RemindersSentTable;
  overrides: OverridesTable;
  notification_outbox: NotificationOutboxTable;
  notification_deliveries: NotificationDeliveriesTable;
}

/**
 * One chain of job runs queued together for one trigger (src/run/job-chain.repo.ts, decision 021): the
 * jobs a deploy's or destroy's outcome fires, or a job run by cron or by hand with its dependents.
 */
export interface JobChainsTable {
  id: string;
  /** The runs' workspace: the context workspace, or `_standalone_`. */
  workspace: string;
  /** `@deployment`, `@deployment-failed`, `@destroy`, `@destroy-failed`, `@startup`, `schedule`, `manual`. */
  trigger: string;
  /** The run whose outcome fired the chain (events), or the chain's first job run. */
  source_run_id: string | null;
  created_at: Instant;
}

/** A job run of a chain: which jobs of the chain it depends on, and which of them have not succeeded yet. */
export interface JobChainRunsTable {
  run_id: string;
  chain_id: string;
  job: string;
  /** JSON array of job names (of this chain). */
  depends_on: string;
  /** JSON array: the dependencies not succeeded yet. The run is claimable only when it is `[]`. */
  waiting_on: string;
  /** The job's `retries`: its dependents wait while a failed attempt will be retried. */
  retries: Generated<number>;
}

/** The `@startup` marker: one row, held by the replica that runs the startup trigger (a leased marker). */
export interface JobStartupMarkerTable {
  name: string;
  holder: string;
  heartbeat_at: Instant;
  fired_at: Instant | null;
}

/** What every repository takes as its first argument: the database, or a transaction on it. */
export type Db = Kysely<Database>;

/**
 * A template from git (src/template/): URL + ref + subdirectory pinned to a commit. The files are fetched
 * per replica into `<data>/templates/<name>/<commit>`; the row is all replicas share.
 */
export interface TemplatesTable {
  name: string;
  /** Never with a password in it (refused on add); a credential lives in the secret store. */
  url: string;
  /** Branch, tag, full ref or commit, as given. */
  ref: string;
  /** Path inside the repository (POSIX, no leading or trailing slash); '' = the root. */
  subdir: string;
  /** The pinned commit (40 hex digits). */
  commit_sha: string;
  /** The Provisioner's content hash of the subdirectory at that commit (src/config/unit-files.ts). */
  content_hash: string;
  description: string;
  /** Name of the credential in the secret store (scope `_templates`), or null for a public repository. */
  credential_secret: string | null;
  created_at: Instant;
  created_by: string;
  /** When the commit was last pinned (add or refresh), and by whom. */
  refreshed_at: Instant;
  refreshed_by: string;
}

/** A queued run waiting for another run of a workspace it depends on (or, for destroys, that depends on it). */
export interface RunWaitsTable {
  waiter_run_id: string;
  awaited_run_id: string;
  /** The awaited run's workspace. */
  dependency: string;
}

/**
 * Which workspace an environment points at (src/environment/), once a switch was recorded, and the switch
 * in progress (`switch_id` and the rest set while one runs; a stale one is taken over).
 */
export interface EnvironmentAssignmentsTable {
  environment: string;
  workspace: string | null;
  assigned_at: Instant | null;
  assigned_by: string | null;
  switch_id: string | null;
  switching_to: string | null;
  switch_started_at: Instant | null;
}

export const environmentSwitchResults = ['switched', 'unchanged', 'refused', 'failed'] as const;
export type EnvironmentSwitchResult = (typeof environmentSwitchResults)[number];

/** Every switch asked for: outcome, and (`details`, JSON) its health checks and the actions' output. */
export interface EnvironmentSwitchesTable {
  /** Insertion order. */
  seq: Generated<number>;
  id: string;
  environment: string;
  from_workspace: string | null;
  to_workspace: string;
  actor: string;
  result: EnvironmentSwitchResult;
  reason: string | null;
  details: string;
  started_at: Instant;
  finished_at: Instant;
}

/** A backup archive written successfully (src/backup/, decision 024). */
export interface BackupsTable {
  id: string;
  created_at: Instant;
  /** `manual` (`tide backup create`) or `schedule` (TIDE_BACKUP_SCHEDULE in `tide serve`). */
  trigger: string;
  /** Where the archive was written, as the writer saw the path. */
  file: string;
  size: number;
  sha256: string;
}

export const overrideKinds = ['keep_up_until', 'keep_down_until', 'skip_next', 'pause_until'] as const;
export type OverrideKind = (typeof overrideKinds)[number];

/** A time-boxed exception to a workspace's schedule (src/workspace/override.ts, migration 0015). */
export interface OverridesTable {
  id: string;
  workspace: string;
  kind: OverrideKind;
  /** skip_next only: `deploy` or `destroy`. */
  action: 'deploy' | 'destroy' | null;
  ends_at: Instant;
  reason: string | null;
  actor: string;
  created_at: Instant;
  removed_at: Instant | null;
  removed_by: string | null;
  /** skip_next: when it skipped its firing, and that firing's ledger id. */
  consumed_at: Instant | null;
  consumed_firing_id: number | null;
}

export const notificationOutboxStates = ['pending', 'delivered', 'failed'] as const;
export type NotificationOutboxState = (typeof notificationOutboxStates)[number];

/**
 * One notification to deliver to one target (src/notification/, decision 032). `destination` is the
 * target as resolved when the event happened (JSON, secret names only, never values), so a config change
 * does not redirect an event already enqueued.
 */
export interface NotificationOutboxTable {
  id: string;
  /** `<event id>:<target>`: unique, so one event is enqueued once per target whatever calls notify(). */
  dedupe_key: string;
  event_type: string;
  workspace: string | null;
  target: string;
  target_type: string;
  destination: string;
  /** JSON: the event. */
  payload: string;
  state: NotificationOutboxState;
  attempts: Generated<number>;
  next_attempt_at: Instant;
  /** Set while a dispatcher delivers it; another may claim the row only after it passed. */
  lease_until: Instant | null;
  claimed_by: string | null;
  last_error: string | null;
  created_at: Instant;
  updated_at: Instant;
}

/** The delivery log: one row per attempt. */
export interface NotificationDeliveriesTable {
  id: string;
  outbox_id: string;
  event_type: string;
  workspace: string | null;
  target: string;
  target_type: string;
  attempt: number;
  /** `delivered`, `retry` (failed, will be tried again) or `failed` (given up). */
  outcome: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: Instant;
}
