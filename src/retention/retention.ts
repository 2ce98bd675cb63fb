/**
 * Retention (docs/retention.md, decision 028): the supervised subsystem `retention` deletes run logs,
 * runs, firings, ended login sessions, stale login-failure rows and old state versions, once per cluster,
 * in bounded batches (each batch one transaction, the event loop yielded between batches). The audit log
 * is never pruned: its entries are hash-chained and signed, and deleting any breaks `tide audit verify`.
 */
import type { Logger } from '../log/logger.ts';
import type { Db } from '../store/schema.ts';
import type { Subsystem } from '../supervisor/subsystem.ts';
import { realTimers, sleep, type Timers } from '../supervisor/timers.ts';
import type { Clock } from '../time/clock.ts';
import {
  pruneFiringBatch,
  pruneReminderBatch,
  pruneJobChainBatch,
  pruneLoginFailureBatch,
  pruneOverrideBatch,
  pruneNotificationBatch,
  pruneRunBatch,
  pruneRunLogBatch,
  pruneSessionBatch,
  pruneStateVersionBatch,
  type Deleted,
} from './retention.repo.ts';

const DAY_MS = 86_400_000;

/** What is kept. A number of days of 0 (or a keep count of 0) keeps everything of that kind. */
export interface RetentionSettings {
  /** TIDE_RETENTION_RUNS_DAYS: finished runs (with their logs) older than this go. */
  readonly runsDays: number;
  /** TIDE_RETENTION_RUN_LOGS_DAYS: the logs of finished runs older than this go; the runs stay. */
  readonly runLogsDays: number;
  /** TIDE_RETENTION_FIRINGS_DAYS: firings recorded longer ago go, and overrides that ended longer ago. */
  readonly firingsDays: number;
  /** TIDE_RETENTION_SESSIONS_DAYS: login sessions (refresh-token families) ended longer ago go. */
  readonly sessionsDays: number;
  /** TIDE_STATE_VERSIONS_KEEP: state versions kept per state key. */
  readonly stateVersionsKeep: number;
}

/** The documented defaults (the env schema's). */
export const DEFAULT_RETENTION: RetentionSettings = {
  runsDays: 90,
  runLogsDays: 30,
  firingsDays: 90,
  sessionsDays: 30,
  stateVersionsKeep: 0,
};

/**
 * A login-failure window is stale after TIDE_LOGIN_LOCKOUT_DURATION, at most 24 hours (the env
 * schema's bound): a row whose window began longer ago than that counts for nothing.
 */
export const LOGIN_FAILURES_STALE_MS = DAY_MS;

/** Rows (runs, chunks, firings, sessions…) per statement. */
export const RETENTION_BATCH_SIZE = 1000;

/** Every hour: retention is about days; a pass that finds nothing costs a few indexed queries. */
export const RETENTION_INTERVAL_MS = 3_600_000;

/** The one metric retention writes (tide_retention_pruned_total), narrowed like SupervisorMetrics. */
export interface RetentionMetrics {
  readonly retentionPrunedTotal: { inc(labels: { table: string }, value: number): void };
}

export interface RetentionDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: RetentionSettings;
  readonly metrics?: RetentionMetrics;
  /** Default RETENTION_BATCH_SIZE. */
  readonly batchSize?: number;
}

/** One kind of row a pass prunes: its deleted rows by table, and how many batches it took. */
export interface PassStep {
  readonly step: string;
  readonly batches: number;
  readonly deleted: Deleted;
}

/** Between batches: let requests, heartbeats and other loops run. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Retention {
  readonly #deps: RetentionDeps;
  readonly #batchSize: number;

  constructor(deps: RetentionDeps) {
    if (deps.batchSize !== undefined && (!Number.isInteger(deps.batchSize) || deps.batchSize < 1))
      throw new RangeError(`retention batch size must be a positive integer, got ${deps.batchSize}`);
    this.#deps = deps;
    this.#batchSize = deps.batchSize ?? RETENTION_BATCH_SIZE;
  }

  /**
   * One pass over every kind of row, in dependency order (logs before runs, runs before their chains and
   * the firings they point at). Stops between batches when `signal` aborts.
   */
  async prune(signal: AbortSignal = new AbortController().signal): Promise<PassStep[]> {
    const { db, clock, settings } = this.#deps;
    const now = clock.now();
    const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const limit = this.#batchSize;
    const steps: PassStep[] = [];
    // `name` is also the table whose rows a batch selects (the others' rows depend on them).
    const step = async (name: string, batch: () => Promise<Deleted>): Promise<void> => {
      const done = await this.#drain(name, batch, signal);
      if (done.batches > 0) steps.push(done);
    };
    // Logs first, in batches of chunks, also for the runs about to go: the run batches then delete few.
    const logDays = [settings.runLogsDays, settings.runsDays].filter((days) => days > 0);
    if (logDays.length > 0) {
      const cutoff = before(Math.min(...logDays));
      await step('run_log_chunks', () => pruneRunLogBatch(db, cutoff, limit));
    }
    if (settings.runsDays > 0) {
      const cutoff = before(settings.runsDays);
      await step('runs', () => pruneRunBatch(db, cutoff, limit));
      await step('job_chains', () => pruneJobChainBatch(db, cutoff, limit));
      // Notifications are about runs (and other events of the same age): kept as long as runs.
      for (const table of ['notification_outbox', 'notification_deliveries'] as const)
        await step(table, () => pruneNotificationBatch(db, table, cutoff, limit));
    }
    if (settings.firingsDays > 0) {
      const cutoff = before(settings.firingsDays);
      await step('firings', () => pruneFiringBatch(db, cutoff, limit));
      await step('reminders_sent', () => pruneReminderBatch(db, cutoff, limit));
      await step('overrides', () => pruneOverrideBatch(db, cutoff, limit));
    }
    if (settings.sessionsDays > 0) {
      const cutoff = before(settings.sessionsDays);
      await step('refresh_token_families', () => pruneSessionBatch(db, cutoff, limit));
    }
    const stale = new Date(now.getTime() - LOGIN_FAILURES_STALE_MS);
    await step('login_failures', () => pruneLoginFailureBatch(db, stale, now, limit));
    if (settings.stateVersionsKeep > 0) {
      const keep = settings.stateVersionsKeep;
      await step('state_versions', () => pruneStateVersionBatch(db, keep, limit));
    }
    const pruned = steps.filter((s) => Object.values(s.deleted).some((n) => n > 0));
    if (pruned.length > 0)
      this.#deps.logger.info(
        { pruned: Object.fromEntries(pruned.map((s) => [s.step, s.deleted])) },
        'retention pruned old rows',
      );
    return steps;
  }

  /** Batches until one deletes fewer `table` rows than the batch size (the last one), or `signal` aborts. */
  async #drain(table: string, batch: () => Promise<Deleted>, signal: AbortSignal): Promise<PassStep> {
    const deleted: Record<string, number> = {};
    let batches = 0;
    while (!signal.aborted) {
      const result = await batch();
      batches += 1;
      for (const [name, rows] of Object.entries(result)) {
        deleted[name] = (deleted[name] ?? 0) + rows;
        if (rows > 0) this.#deps.metrics?.retentionPrunedTotal.inc({ table: name }, rows);
      }
      if ((result[table] ?? 0) < this.#batchSize) break;
      await yieldToEventLoop();
    }
    return { step: table, batches, deleted };
  }
}

/**
 * The supervised subsystem `retention`: a pass at start, then every `intervalMs`; once per cluster (the
 * rows are shared; one replica's pass prunes them all). A failed pass is retried after the backoff.
 * Up before its first pass, unlike other loops: nothing waits on pruning, and the first pass over a
 * large database may take minutes, which must hold neither readiness nor the loops started after it.
 */
export function retentionLoop(
  retention: Pick<Retention, 'prune'>,
  options: { intervalMs?: number; timers?: Timers } = {},
): Subsystem {
  const intervalMs = options.intervalMs ?? RETENTION_INTERVAL_MS;
  const timers = options.timers ?? realTimers;
  return {
    name: 'retention',
    oncePerCluster: true,
    // Like `periodic`, but the pass sees the stop signal, so a stop does not wait for a long pass.
    async start(signal, up) {
      up();
      while (!signal.aborted) {
        await retention.prune(signal);
        await sleep(intervalMs, signal, timers);
      }
    },
  };
}
