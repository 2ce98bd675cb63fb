/**
 * Turns what happens into metrics without touching the code that makes it happen: run and firing events
 * from the hub, reloads from the config watcher, and on-scrape reads of the worker and the store.
 *
 * Counters count what this replica did (its runs, its firings, its reloads), skipping the events the
 * relay brings from other replicas: sum them across replicas. The queue and workspace gauges read the shared store, so every replica
 * reports the same value: take max, not sum (docs/monitoring.md).
 */
import { pendingCount } from '../notification/outbox.repo.ts';
import { lastSuccessfulBackup } from '../backup/backup.ts';
import type { EventEmitter } from 'node:events';
import type { ConfigProblem } from '../config/config-model.ts';
import type { ReloadEvent } from '../config/config-watcher.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { EventHub, FiringEvent } from '../events/event-hub.ts';
import type { WorkspaceStatusEvent } from '../run/run-events.ts';
import type { Logger } from '../log/logger.ts';
import type { RunWorker } from '../run/run-worker.ts';
import { isDone } from '../run/run-state.ts';
import type { Run } from '../run/run.ts';
import { firingOutcomes, workspaceObservedStatuses, type Db } from '../store/schema.ts';
import { SavingsService } from '../savings/savings.service.ts';
import type { Subsystem } from '../supervisor/subsystem.ts';
import type { Clock } from '../time/clock.ts';
import { aborted } from '../supervisor/timers.ts';
import { countQueuedRuns, driftedFlags, firingScheduledAt, observedStatuses } from './metrics.repo.ts';
import type { ScrapeSource, TideMetrics } from './metrics.ts';

/** The config watcher as the collector uses it: its events, and the configuration in force. */
export type WatchedConfig = Pick<EventEmitter<{ reload: [ReloadEvent]; error: [Error] }>, 'on' | 'off'> & {
  current(): EffectiveConfig;
};

export interface MetricsCollectorDeps {
  readonly metrics: TideMetrics;
  readonly db: Db;
  readonly hub: Pick<EventHub, 'on' | 'off' | 'isFromOtherReplica'>;
  /** Already started: the configuration it holds counts as the first load. */
  readonly watcher: WatchedConfig;
  /** This replica's runner, or null when it runs nothing (tide_runs_active then reads 0). */
  readonly worker: Pick<RunWorker, 'active'> | null;
  readonly logger: Logger;
  /** For tide_saved_cost_total (savings up to now); without it the counter is not exposed. */
  readonly clock?: Clock;
}

/**
 * A supervised subsystem: listening from start() until its signal aborts. It has no loop of its own to
 * fail (a failed on-scrape read keeps the gauge's last value); supervision gives it the same lifecycle
 * as the others.
 */
export class MetricsCollector implements Subsystem {
  readonly name = 'metrics-collector';
  readonly #deps: MetricsCollectorDeps;
  readonly #lag: ScheduleLag;
  #loadCounted = false;

  constructor(deps: MetricsCollectorDeps) {
    this.#deps = deps;
    this.#lag = new ScheduleLag(deps);
  }

  /** Resolves once every schedule-lag lookup begun so far is recorded (tests wait on it, not on time). */
  settled(): Promise<void> {
    return this.#lag.settled();
  }

  async start(signal: AbortSignal, up: () => void): Promise<void> {
    const { metrics, hub, watcher } = this.#deps;
    // Zero series from the start, so rate() and increase() see the first event rather than a new series.
    for (const result of ['ok', 'error']) metrics.configReloadsTotal.inc({ result }, 0);
    for (const outcome of firingOutcomes) metrics.firingsTotal.inc({ outcome }, 0);
    for (const outcome of driftCheckOutcomes) metrics.driftChecksTotal.inc({ outcome }, 0);
    if (!this.#loadCounted) countReload(metrics, watcher.current().snapshot.problems);
    this.#loadCounted = true;

    hub.on('run.updated', this.#onRun);
    hub.on('firing.recorded', this.#onFiring);
    hub.on('workspace.status', this.#onStatus);
    watcher.on('reload', this.#onReload);
    watcher.on('error', this.#onWatchError);
    metrics.setScrapeSource(scrapeSource(this.#deps));
    up();
    try {
      await aborted(signal);
    } finally {
      hub.off('run.updated', this.#onRun);
      hub.off('firing.recorded', this.#onFiring);
      hub.off('workspace.status', this.#onStatus);
      watcher.off('reload', this.#onReload);
      watcher.off('error', this.#onWatchError);
      metrics.setScrapeSource(null);
    }
  }

  readonly #onRun = (run: Run): void => {
    if (this.#deps.hub.isFromOtherReplica(run)) return;
    if (isDone(run.state)) {
      countFinishedRun(this.#deps.metrics, run);
      // A check that found something announces it with its status change (#onStatus); one that failed
      // changes no status, so it is counted here.
      if (run.action === 'plan' && (run.state === 'failed' || run.state === 'timed_out'))
        this.#deps.metrics.driftChecksTotal.inc({ outcome: 'failed' });
      this.#lag.forget(run.id);
    } else if (run.state === 'running') this.#lag.observe(run);
  };

  readonly #onFiring = (firing: FiringEvent): void => {
    if (!this.#deps.hub.isFromOtherReplica(firing))
      this.#deps.metrics.firingsTotal.inc({ outcome: firing.outcome });
  };

  readonly #onStatus = (event: WorkspaceStatusEvent): void => {
    if (event.drift_check && !this.#deps.hub.isFromOtherReplica(event))
      this.#deps.metrics.driftChecksTotal.inc({ outcome: event.drift_check });
  };

  readonly #onReload = (event: ReloadEvent): void => countReload(this.#deps.metrics, event.problems);

  // The watcher failing (a reload that threw, the file watch broken) means edits are not taking effect.
  readonly #onWatchError = (): void => this.#deps.metrics.configReloadsTotal.inc({ result: 'error' });
}

const driftCheckOutcomes = ['drifted', 'clean', 'failed'] as const;

function countFinishedRun(metrics: TideMetrics, run: Run): void {
  metrics.runsTotal.inc({ action: run.action, trigger: run.trigger, result: run.state });
  // A run canceled while queued never started: it has a result but no duration.
  if (run.started_at && run.finished_at) {
    const seconds = (Date.parse(run.finished_at) - Date.parse(run.started_at)) / 1000;
    metrics.runDurationSeconds.observe({ action: run.action }, Math.max(0, seconds));
  }
}

function countReload(metrics: TideMetrics, problems: readonly ConfigProblem[]): void {
  const failed = problems.some((problem) => problem.severity === 'error');
  metrics.configReloadsTotal.inc({ result: failed ? 'error' : 'ok' });
}

/**
 * Lag from a firing's scheduled instant to its run starting. The run names its firing by id only, so
 * the scheduled instant is read from the ledger once per started run.
 */
class ScheduleLag {
  /** Runs whose lag is recorded or looked up: a second "running" event (a cancel request) is no start. */
  readonly #seen = new Set<string>();
  readonly #pending = new Set<Promise<void>>();

  constructor(private readonly deps: MetricsCollectorDeps) {}

  observe(run: Run): void {
    if (run.firing_id === null || !run.started_at || this.#seen.has(run.id)) return;
    this.#seen.add(run.id);
    const lookup = this.#record(run.firing_id, run.started_at).finally(() => this.#pending.delete(lookup));
    this.#pending.add(lookup);
  }

  /** The run finished: its id need not be remembered any more. */
  forget(runId: string): void {
    this.#seen.delete(runId);
  }

  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  async #record(firingId: number, startedAt: string): Promise<void> {
    try {
      const scheduledAt = await firingScheduledAt(this.deps.db, firingId);
      if (scheduledAt === null) return;
      const seconds = (Date.parse(startedAt) - Date.parse(scheduledAt)) / 1000;
      // A run may start a hair before its firing's instant when clocks differ between replicas.
      this.deps.metrics.scheduleLagSeconds.observe(Math.max(0, seconds));
    } catch (error) {
      this.deps.logger.warn({ err: error, firing_id: firingId }, 'cannot record schedule lag');
    }
  }
}

function scrapeSource(deps: MetricsCollectorDeps): ScrapeSource {
  const { db, watcher, worker, logger, clock } = deps;
  const savings = clock ? new SavingsService({ db, clock, config: () => watcher.current() }) : null;
  const failed = (what: string) => (error: unknown) => {
    logger.warn({ err: error }, `metrics: cannot read ${what}; keeping the last value`);
    return null;
  };
  return {
    runsActive: () => worker?.active ?? 0,
    queueDepth: () => countQueuedRuns(db).catch(failed('the queue depth')),
    notificationQueueDepth: () => pendingCount(db).catch(failed('the notification queue depth')),
    // null means "no backup yet" here, so a read error answers undefined: keep the last value.
    lastBackupAt: () =>
      lastSuccessfulBackup(db).catch((error: unknown) => {
        failed('the last backup')(error);
        return undefined;
      }),
    ...(savings ? { savedCost: () => savings.savedToDate().catch(failed('the savings')) } : {}),
    async drifted() {
      const flags = await driftedFlags(db).catch(failed('drift flags'));
      if (flags === null) return null;
      const configured = [...watcher.current().workspaces.keys()];
      return new Map(configured.map((name) => [name, flags.get(name) ?? false]));
    },
    async workspacesByStatus() {
      const observed = await observedStatuses(db).catch(failed('workspace statuses'));
      if (observed === null) return null;
      const counts = new Map<string, number>(workspaceObservedStatuses.map((status) => [status, 0]));
      // Configured workspaces only, including those whose files are invalid; never acted on = destroyed.
      for (const name of watcher.current().workspaces.keys()) {
        const status = observed.get(name) ?? 'destroyed';
        counts.set(status, (counts.get(status) ?? 0) + 1);
      }
      return counts;
    },
  };
}
