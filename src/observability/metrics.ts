/**
 * Every Prometheus metric Tide exposes (SPEC §8), declared once on one registry. Code that observes
 * something imports the metric from here; `GET /metrics` renders the registry. docs/monitoring.md lists
 * them (a test checks it is in step).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What the on-scrape gauges read, installed by the metrics collector (it knows the worker and the
 * store). `null` from a query means "unknown right now" (the store failed): the gauge keeps its last
 * value rather than failing the whole scrape.
 */
export interface ScrapeSource {
  runsActive(): number;
  queueDepth(): Promise<number | null>;
  /** Configured workspaces by observed status, every status present (0 when none). */
  workspacesByStatus(): Promise<ReadonlyMap<string, number> | null>;
  /** The newest successful backup in the database (every replica reads the same); null: keep the value. */
  lastBackupAt?(): Promise<Date | null | undefined>;
  /** Money saved to date by each workspace with an `hourly_cost` (docs/savings.md); null: keep the values. */
  savedCost?(): Promise<ReadonlyMap<string, number> | null>;
  /** Whether each configured workspace is drifted (docs/drift.md); null: keep the values. */
  drifted?(): Promise<ReadonlyMap<string, boolean> | null>;
  /** Notifications waiting in the outbox (all replicas); null: keep the value. */
  notificationQueueDepth?(): Promise<number | null>;
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'tide_process_' });
  const registers = [registry];
  // Until a source is installed (the API alone in tests), the gauges stay at 0.
  let scrape: ScrapeSource | null = null;
  /** What tide_saved_cost_total showed at the last scrape, per workspace. */
  const savedShown = new Map<string, number>();
  return {
    registry,
    /** Installs (null: removes) what `tide_runs_active`, `tide_queue_depth` and `tide_workspaces` read. */
    setScrapeSource(source: ScrapeSource | null): void {
      scrape = source;
    },
    runsTotal: new Counter({
      name: 'tide_runs_total',
      help: 'Runs that reached a terminal state, by action, trigger and result (succeeded, failed, canceled, timed_out, skipped).',
      labelNames: ['action', 'trigger', 'result'] as const,
      registers,
    }),
    runDurationSeconds: new Histogram({
      name: 'tide_run_duration_seconds',
      help: 'Duration of finished runs from start to end, by action.',
      labelNames: ['action'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    scheduleLagSeconds: new Histogram({
      name: 'tide_schedule_lag_seconds',
      help: 'Delay between a firing scheduled instant and its run starting.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    firingsTotal: new Counter({
      name: 'tide_firings_total',
      help: 'Firings recorded in the ledger, by outcome (fired, skipped, missed, superseded).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    runsActive: new Gauge({
      name: 'tide_runs_active',
      help: 'Runs executing on this replica.',
      registers,
      collect() {
        if (scrape) this.set(scrape.runsActive());
      },
    }),
    queueDepth: new Gauge({
      name: 'tide_queue_depth',
      help: 'Runs waiting in the queue (all replicas).',
      registers,
      async collect() {
        const depth = scrape ? await scrape.queueDepth() : null;
        if (depth !== null) this.set(depth);
      },
    }),
    workspaces: new Gauge({
      name: 'tide_workspaces',
      help: 'Configured workspaces by observed status (destroyed, deployed, deploy_failed, …).',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        const counts = scrape ? await scrape.workspacesByStatus() : null;
        if (counts === null) return;
        // Replaced wholesale: the gauge shows exactly the statuses the source reports, none left over.
        this.reset();
        for (const [status, count] of counts) this.set({ status }, count);
      },
    }),
    workspaceDrifted: new Gauge({
      name: 'tide_workspace_drifted',
      help: 'Whether the last drift check of each configured workspace found drift (1) or not (0); read from the store, so every replica reports the same.',
      labelNames: ['workspace'] as const,
      registers,
      async collect() {
        const drifted = scrape?.drifted ? await scrape.drifted() : null;
        if (drifted === null || drifted === undefined) return;
        // Replaced wholesale: a workspace removed from the configuration leaves no series behind.
        this.reset();
        for (const [workspace, value] of drifted) this.set({ workspace }, value ? 1 : 0);
      },
    }),
    driftChecksTotal: new Counter({
      name: 'tide_drift_checks_total',
      help: 'Drift checks (plan runs) that ended, by outcome (drifted, clean, failed).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    configReloadsTotal: new Counter({
      name: 'tide_config_reloads_total',
      help: 'Configuration reloads, by result (ok: no errors, error: some unit rejected).',
      labelNames: ['result'] as const,
      registers,
    }),
    httpRequestDurationSeconds: new Histogram({
      name: 'tide_http_request_duration_seconds',
      help: 'HTTP request durations by method, route template (or "unmatched") and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    loginFailuresTotal: new Counter({
      name: 'tide_login_failures_total',
      help: 'Failed login attempts.',
      registers,
    }),
    lockoutsTotal: new Counter({
      name: 'tide_lockouts_total',
      help: 'Accounts or source addresses locked out after too many failures.',
      registers,
    }),
    subsystemUp: new Gauge({
      name: 'tide_subsystem_up',
      help: 'Whether each background subsystem of this replica is up (1), or starting, restarting after a failure or stopped (0).',
      labelNames: ['subsystem'] as const,
      registers,
    }),
    subsystemRestartsTotal: new Counter({
      name: 'tide_subsystem_restarts_total',
      help: 'Restarts of a background subsystem after it failed.',
      labelNames: ['subsystem'] as const,
      registers,
    }),
    auditHeadSequence: new Gauge({
      name: 'tide_audit_head_sequence',
      help: 'Id of the newest audit log entry at the last checkpoint (src/audit/audit-checkpointer.ts); it never goes down unless entries were deleted.',
      registers,
    }),
    backupLastSuccessTimestampSeconds: new Gauge({
      name: 'tide_backup_last_success_timestamp_seconds',
      help: 'Unix time of the last successful backup (0 if none).',
      registers,
      // From the `backups` table (src/backup/), so every replica reports the same instant.
      async collect() {
        const at = scrape?.lastBackupAt ? await scrape.lastBackupAt() : undefined;
        if (at !== undefined) this.set(at === null ? 0 : at.getTime() / 1000);
      },
    }),
    notificationsTotal: new Counter({
      name: 'tide_notifications_total',
      help: 'Notification delivery attempts, by target type (webhook, slack, teams, email) and outcome (delivered, retry, failed).',
      labelNames: ['target_type', 'outcome'] as const,
      registers,
    }),
    notificationQueueDepth: new Gauge({
      name: 'tide_notification_queue_depth',
      help: 'Notifications waiting for delivery in the outbox (all replicas).',
      registers,
      async collect() {
        const depth = scrape?.notificationQueueDepth ? await scrape.notificationQueueDepth() : null;
        if (depth !== null) this.set(depth);
      },
    }),
    retentionPrunedTotal: new Counter({
      name: 'tide_retention_pruned_total',
      help: 'Rows deleted by retention, by table (run_log_chunks, runs, firings, refresh_token_families, login_failures, state_versions, and rows that depend on them).',
      labelNames: ['table'] as const,
      registers,
    }),
    savedCostTotal: new Counter({
      name: 'tide_saved_cost_total',
      help: 'Money saved by the schedule to date (down hours x hourly_cost, docs/savings.md), by workspace; read from the run history, so every replica reports the same.',
      labelNames: ['workspace'] as const,
      registers,
      // Computed from history, exposed as a counter: it grows while a workspace is down. It goes back
      // only when history shrinks (retention) or hourly_cost drops; the series then restarts (a reset).
      async collect() {
        const saved = scrape?.savedCost ? await scrape.savedCost() : null;
        if (saved === null || saved === undefined) return;
        for (const workspace of savedShown.keys()) {
          if (!saved.has(workspace)) {
            this.remove({ workspace });
            savedShown.delete(workspace);
          }
        }
        for (const [workspace, value] of saved) {
          const shown = savedShown.get(workspace) ?? 0;
          if (value < shown) this.remove({ workspace });
          this.inc({ workspace }, value < shown ? value : value - shown);
          savedShown.set(workspace, value);
        }
      },
    }),
  };
}

export type TideMetrics = ReturnType<typeof createMetrics>;
