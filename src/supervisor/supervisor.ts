/**
 * Runs the daemon's subsystems and keeps them running: a subsystem that fails is started again after a
 * backoff (1 s, doubled at each consecutive failure, at most 30 s; reset once it is up). Its health is
 * what readiness reports (`/api/health/ready` answers 503 while one is not up) and what the metrics
 * `tide_subsystem_up` and `tide_subsystem_restarts_total` show.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.ts';
import { oncePerCluster, type ClusterLock } from './cluster-singleton.ts';
import type { Subsystem } from './subsystem.ts';
import { realTimers, sleep, type Timers } from './timers.ts';

/** `starting` until its first pass is done, `restarting` while it waits out its backoff after a failure. */
export type SubsystemState = 'starting' | 'up' | 'restarting' | 'stopped';

export interface SubsystemHealth {
  readonly name: string;
  readonly state: SubsystemState;
  /** Restarts after failures since this process started. */
  readonly restarts: number;
  /** The last failure's message, until the subsystem is up again. */
  readonly error: string | null;
  /** While restarting: the backoff before the next start. */
  readonly retryInMs: number | null;
}

type SubsystemLabels = { subsystem: string };

/**
 * The two series the supervisor keeps (src/observability/metrics.ts defines them), as the narrow shape it
 * writes, so the supervisor, which observability's collector runs under, does not import observability.
 */
export interface SupervisorMetrics {
  readonly subsystemUp: { set(labels: SubsystemLabels, value: number): void };
  readonly subsystemRestartsTotal: { inc(labels: SubsystemLabels, value?: number): void };
}

export interface SupervisorOptions {
  readonly logger: Logger;
  /** The backoff's sleeps. Default: the real setTimeout. */
  readonly timers?: Timers;
  readonly metrics?: SupervisorMetrics;
  /** Backoff after the first failure (default 1 s), doubled at each consecutive one up to maxBackoffMs (30 s). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * Keeps the subsystems marked `oncePerCluster` to one replica at a time (PostgreSQL). Without it they
   * run here like the others: a single replica (SQLite) is the whole cluster.
   */
  readonly clusterLock?: ClusterLock;
}

interface Entry {
  readonly subsystem: Subsystem;
  readonly controller: AbortController;
  health: SubsystemHealth;
  /** Settles when the subsystem has stopped for good. */
  done: Promise<void> | null;
}

export class Supervisor extends EventEmitter<{ change: [SubsystemHealth] }> {
  readonly #options: SupervisorOptions;
  readonly #timers: Timers;
  readonly #entries: Entry[] = [];

  constructor(options: SupervisorOptions) {
    super();
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
  }

  /** Adds a subsystem, started by start() after those added before it. */
  add(added: Subsystem): this {
    const { clusterLock, logger } = this.#options;
    const subsystem =
      added.oncePerCluster && clusterLock ? oncePerCluster(added, clusterLock, logger) : added;
    if (this.#entries.some((entry) => entry.subsystem.name === subsystem.name))
      throw new Error(`a subsystem named ${subsystem.name} is already supervised`);
    const health: SubsystemHealth = {
      name: subsystem.name,
      state: 'starting',
      restarts: 0,
      error: null,
      retryInMs: null,
    };
    this.#entries.push({ subsystem, controller: new AbortController(), health, done: null });
    // Series from the start, so a dashboard sees 0 before the first start and increase() the first restart.
    this.#options.metrics?.subsystemUp.set({ subsystem: subsystem.name }, 0);
    this.#options.metrics?.subsystemRestartsTotal.inc({ subsystem: subsystem.name }, 0);
    return this;
  }

  /**
   * Starts the subsystems in the order they were added, each once the one before is up or has failed
   * once (it then goes on restarting on its own): startup order is dependency order.
   */
  async start(): Promise<void> {
    for (const entry of this.#entries) {
      if (entry.done || entry.controller.signal.aborted) continue;
      await new Promise<void>((started) => (entry.done = this.#supervise(entry, started)));
    }
  }

  /** Stops the named subsystems (default: all), in the reverse of the start order, one after the other. */
  async stop(names?: readonly string[]): Promise<void> {
    const chosen = this.#entries.filter((entry) => !names || names.includes(entry.subsystem.name));
    for (const entry of chosen.reverse()) {
      entry.controller.abort();
      if (entry.done) await entry.done;
      else this.#set(entry, { state: 'stopped' });
    }
  }

  health(): SubsystemHealth[] {
    return this.#entries.map((entry) => entry.health);
  }

  async #supervise(entry: Entry, started: () => void): Promise<void> {
    const { subsystem, controller } = entry;
    const { signal } = controller;
    let failures = 0;
    const up = (): void => {
      failures = 0;
      if (entry.health.state !== 'up') this.#set(entry, { state: 'up', error: null, retryInMs: null });
      started();
    };
    while (!signal.aborted) {
      try {
        await subsystem.start(signal, up);
        if (!signal.aborted) throw new Error('it stopped by itself');
      } catch (error) {
        if (signal.aborted) {
          this.#options.logger.warn(
            { err: error, subsystem: subsystem.name },
            'subsystem failed while stopping',
          );
          break;
        }
        const delay = this.#failed(entry, error, ++failures);
        started();
        await sleep(delay, signal, this.#timers);
        if (signal.aborted) break;
        this.#options.metrics?.subsystemRestartsTotal.inc({ subsystem: subsystem.name });
        this.#set(entry, { state: 'starting', restarts: entry.health.restarts + 1, retryInMs: null });
      }
    }
    this.#set(entry, { state: 'stopped', retryInMs: null });
    started();
  }

  /** Records the failure and returns the backoff before the next start. */
  #failed(entry: Entry, error: unknown, failures: number): number {
    const { subsystem } = entry;
    const max = subsystem.maxBackoffMs ?? this.#options.maxBackoffMs ?? 30_000;
    const delay = Math.min(max, (this.#options.minBackoffMs ?? 1_000) * 2 ** (failures - 1));
    this.#options.logger.error(
      { err: error, subsystem: subsystem.name, failures, restart_in_ms: delay },
      'subsystem failed; restarting it after a backoff',
    );
    const message = error instanceof Error ? error.message : String(error);
    this.#set(entry, { state: 'restarting', error: message, retryInMs: delay });
    return delay;
  }

  #set(entry: Entry, change: Partial<SubsystemHealth>): void {
    entry.health = { ...entry.health, ...change };
    this.#options.metrics?.subsystemUp.set(
      { subsystem: entry.subsystem.name },
      entry.health.state === 'up' ? 1 : 0,
    );
    this.emit('change', entry.health);
  }
}
