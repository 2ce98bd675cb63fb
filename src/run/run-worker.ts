import { setMaxListeners } from 'node:events';
/**
 * The runner role: claims queued runs and executes them, at most `maxConcurrentRuns` at a time. It wakes
 * at once when a run is queued or finishes (on any replica: on PostgreSQL the hub carries other
 * replicas' events, and a finished run frees its workspace), and polls for what it was not told about
 * (events lost while a replica's listener was reconnecting) and for delayed runs (`not_before`). Its
 * loops are supervised subsystems (`subsystems`, in start order): the lease watch, the orphan reaper (on
 * one replica of the cluster at a time) and the run-directory sweep (every lease period), then the claim
 * loop, so runs orphaned while this process was down are released before anything new is claimed.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { periodic, type Subsystem } from '../supervisor/subsystem.ts';
import { realTimers, type Timers } from '../supervisor/timers.ts';
import { executeRun, type ExecutorContext } from './executor/run-executor.ts';
import { removeFinishedRunDirs } from './executor/run-dirs.ts';
import { LeaseKeeper } from './executor/run-lease.ts';
import { reapOrphans } from './orphan-reaper.ts';
import { claimNextQueued } from './run.repo.ts';
import { isDone } from './run-state.ts';
import type { Run } from './run.ts';

export interface RunWorkerOptions extends Omit<ExecutorContext, 'leaseMs' | 'leases'> {
  /** Stored as the lease owner. Default `<hostname>:<pid>:<random>`. */
  readonly runnerId?: string;
  /** TIDE_MAX_CONCURRENT_RUNS. Default 4. */
  readonly maxConcurrentRuns?: number;
  /** Default 30 s; renewed every third of it. */
  readonly leaseMs?: number;
  /** How often to look for runs queued elsewhere or whose not_before passed. Default 2 s. */
  readonly pollIntervalMs?: number;
  /** How often to reap orphaned runs and sweep run directories. Default: the lease length. */
  readonly reapIntervalMs?: number;
  /** The loops' sleeps. Default: the real setTimeout. */
  readonly timers?: Timers;
}

export const DEFAULT_MAX_CONCURRENT_RUNS = 4;
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_POLL_INTERVAL_MS = 2_000;

export class RunWorker {
  readonly runnerId: string;
  /** Lease watch, orphan reaper, run-directory sweep, claim loop: for the supervisor, in this order. */
  readonly subsystems: readonly Subsystem[];
  readonly #options: RunWorkerOptions;
  readonly #leaseMs: number;
  readonly #leases: LeaseKeeper;
  readonly #timers: Timers;
  readonly #running = new Map<string, Promise<void>>();
  /** Directories of finished runs being removed; stop() waits for them (the sweep catches a crash). */
  readonly #removals = new Set<Promise<void>>();
  readonly #shutdown = new AbortController();
  #stopping = false;
  /** The claim pass in progress, if any. */
  #claiming: Promise<void> | null = null;
  /** Set by a wake; the claim loop clears it before each pass, so no wake is lost. */
  #woken = false;
  #ring: (() => void) | null = null;

  constructor(options: RunWorkerOptions) {
    this.#options = options;
    this.runnerId = options.runnerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#timers = options.timers ?? realTimers;
    // Every executing run listens for shutdown; more than 10 at once is normal, not a leak.
    setMaxListeners(0, this.#shutdown.signal);
    this.#leases = new LeaseKeeper({ ...options, leaseMs: this.#leaseMs });
    const every = options.reapIntervalMs ?? this.#leaseMs;
    const timers = { timers: this.#timers };
    this.subsystems = [
      this.#leases,
      // Once per cluster: every replica's reaper would only find the same expired leases.
      periodic('orphan-reaper', every, () => this.#reap(), { ...timers, oncePerCluster: true }),
      periodic('run-dir-sweep', every, () => this.#sweep(), timers),
      { name: 'run-worker', start: (signal, up) => this.#claimLoop(signal, up) },
    ];
  }

  /** Number of runs executing now. */
  get active(): number {
    return this.#running.size;
  }

  /**
   * Stops claiming, lets running runs finish for up to graceMs, then cancels them (SIGINT, then SIGKILL
   * after the executor's grace) and waits until each has recorded its final state, which ends its lease.
   * The lease watch must still be running meanwhile: stop it after this.
   */
  async stop({ graceMs }: { graceMs: number }): Promise<void> {
    this.#stopping = true;
    // A claim in flight may still add a run: wait for it so that run is waited for (or canceled) too.
    await this.#claiming;
    const allDone = Promise.all(this.#running.values());
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)));
    await Promise.race([allDone, grace]);
    clearTimeout(graceTimer);
    if (this.#running.size > 0) this.#shutdown.abort();
    await allDone;
    await Promise.all(this.#removals);
  }

  /** Claims on every wake and poll until `signal` aborts; a failed claim fails the subsystem. */
  async #claimLoop(signal: AbortSignal, up: () => void): Promise<void> {
    this.#options.hub.on('run.updated', this.#onRunUpdated);
    try {
      await this.#pass();
      up();
      while (!signal.aborted) {
        await this.#nextWake(signal);
        if (!signal.aborted) await this.#pass();
      }
    } finally {
      this.#options.hub.off('run.updated', this.#onRunUpdated);
    }
  }

  async #pass(): Promise<void> {
    this.#woken = false;
    this.#claiming = this.#fill();
    try {
      await this.#claiming;
    } finally {
      this.#claiming = null;
    }
  }

  /** A queued run may be claimable; a finished one (here or on another replica) frees its lock key. */
  readonly #onRunUpdated = (run: Run): void => {
    if (run.state === 'queued' || isDone(run.state)) this.#wake();
  };

  #wake(): void {
    this.#woken = true;
    this.#ring?.();
  }

  /** Resolves on a wake (at once if one came during the last pass), on the poll interval, or on abort. */
  #nextWake(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (this.#woken || signal.aborted) return resolve();
      const ring = (): void => {
        this.#ring = null;
        this.#timers.clear(timer);
        signal.removeEventListener('abort', ring);
        resolve();
      };
      const timer = this.#timers.set(ring, this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
      signal.addEventListener('abort', ring, { once: true });
      this.#ring = ring;
    });
  }

  /** Claims until the concurrency limit is reached or nothing is claimable. */
  async #fill(): Promise<void> {
    const max = this.#options.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS;
    while (!this.#stopping && this.#running.size < max) {
      const run = await claimNextQueued(this.#options.db, {
        owner: this.runnerId,
        leaseMs: this.#leaseMs,
        clock: this.#options.clock,
      });
      if (!run) return;
      this.#running.set(run.id, this.#execute(run));
    }
  }

  async #execute(run: Run): Promise<void> {
    const { logger } = this.#options;
    const ctx: ExecutorContext = { ...this.#options, leaseMs: this.#leaseMs, leases: this.#leases };
    let remove: (() => Promise<void>) | undefined;
    try {
      await executeRun(run, ctx, { signal: this.#shutdown.signal, removeLater: (later) => (remove = later) });
    } catch (error) {
      // The executor records failures itself; this is the store failing too. The lease then runs out
      // and the reaper marks the run orphaned.
      logger.error({ err: error, run_id: run.id, workspace: run.workspace }, 'run could not be recorded');
    } finally {
      this.#running.delete(run.id);
      this.#wake();
      if (remove) {
        const removal = remove().finally(() => this.#removals.delete(removal));
        this.#removals.add(removal);
      }
    }
  }

  async #sweep(): Promise<void> {
    const { db, dataDir, logger } = this.#options;
    const removed = await removeFinishedRunDirs(db, dataDir);
    if (removed.length > 0) logger.info({ run_ids: removed }, 'removed run directories left behind');
  }

  async #reap(): Promise<void> {
    const { db, clock, hub, logger, chainsFired, announceOutcome } = this.#options;
    const reaped = await reapOrphans(db, clock.now(), hub, chainsFired, announceOutcome);
    if (reaped.length > 0)
      logger.warn({ run_ids: reaped.map((run) => run.id) }, 'orphaned runs marked failed');
  }
}
