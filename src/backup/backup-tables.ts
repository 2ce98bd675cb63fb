import type { Database } from '../store/schema.ts';

export type BackupTable = Exclude<keyof Database, 'backups'>;

/**
 * Every table a backup holds, parents before children (restore inserts in this order, and empties in the
 * reverse one, so foreign keys hold on PostgreSQL at every statement). `backups` is not in a backup: it
 * describes the backups of the database it lives in. A test checks this list against the tables of a
 * migrated database, so a new table cannot be forgotten.
 */
export const backupTables = [
  'workspace_status',
  'firings',
  'runs',
  'run_log_chunks',
  'run_waits',
  'job_chains',
  'job_chain_runs',
  'job_startup_marker',
  'scheduler_checkpoints',
  'audit_log',
  'audit_log_head',
  'rate_limits',
  'workspace_secrets',
  'users',
  'refresh_token_families',
  'refresh_tokens',
  'api_tokens',
  'login_failures',
  'oidc_identities',
  'state_versions',
  'state_locks',
  'templates',
  'environment_assignments',
  'environment_switches',
  'workspace_ttl',
  'reminders_sent',
  'overrides',
  'notification_outbox',
  'notification_deliveries',
] as const satisfies readonly BackupTable[];

/** Tables of a migrated database that are deliberately not in a backup (besides the migrator's own). */
export const tablesNotBackedUp = ['backups'] as const;

/**
 * Columns filled by a PostgreSQL sequence (serial, bigserial). A restore inserts their values as they
 * were, so the sequence is moved past the largest one afterwards; SQLite's AUTOINCREMENT follows by itself.
 */
export const sequenceColumns: ReadonlyArray<readonly [BackupTable, string]> = [
  ['firings', 'id'],
  ['state_versions', 'id'],
  ['environment_switches', 'seq'],
];

/** A stable order to export rows in, so two backups of the same data are byte-identical. */
export const orderColumns: Readonly<Record<BackupTable, readonly string[]>> = {
  workspace_status: ['workspace'],
  firings: ['id'],
  runs: ['id'],
  run_log_chunks: ['run_id', 'seq'],
  run_waits: ['waiter_run_id', 'awaited_run_id'],
  job_chains: ['id'],
  job_chain_runs: ['run_id'],
  job_startup_marker: ['name'],
  scheduler_checkpoints: ['workspace'],
  audit_log: ['id'],
  audit_log_head: ['id'],
  rate_limits: ['key'],
  workspace_secrets: ['workspace', 'name'],
  users: ['id'],
  refresh_token_families: ['id'],
  refresh_tokens: ['token_hash'],
  api_tokens: ['id'],
  login_failures: ['key'],
  oidc_identities: ['issuer', 'subject'],
  state_versions: ['id'],
  state_locks: ['state_key'],
  templates: ['name'],
  environment_assignments: ['environment'],
  environment_switches: ['seq'],
  workspace_ttl: ['workspace'],
  reminders_sent: ['workspace', 'destroy_at', 'lead_seconds'],
  overrides: ['id'],
  notification_outbox: ['id'],
  notification_deliveries: ['id'],
};
