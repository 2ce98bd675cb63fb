import { setMaxListeners } from 'node:events';
/**
 * The runner role: claims queued runs and executes them, at most `maxConcurrentRuns` at a time. It wakes
 * at once when a run is queued or finishes in this process, and polls for what other replicas queued and
 * for delayed runs (`not_before`). The claim loop is supervised: an error is logged and the loop retries
 * with backoff, it never dies. Reaping orphaned runs rides along, once per lease period.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { executeRun, type ExecutorContext } from './executor/run-executor.ts';
import { removeFinishedRunDirs } from './executor/run-dirs.ts';
import { reapOrphans } from './orphan-reaper.ts';
import { claimNextQueued } from './run.repo.ts';
import type { Run } from './run.ts';

export interface RunWorkerOptions extends Omit<ExecutorContext, 'leaseMs'> {
  /** Stored as the lease owner. Default `<hostname>:<pid>:<random>`. */
  readonly runnerId?: string;
  /** TIDE_MAX_CONCURRENT_RUNS. Default 4. */
  readonly maxConcurrentRuns?: number;
  /** Default 30 s; renewed every third of it. */
  readonly leaseMs?: number;
  /** How often to look for runs queued elsewhere or whose not_before passed. Default 2 s. */
  readonly pollIntervalMs?: number;
  /** How often to reap orphaned runs. Default: the lease length. */
  readonly reapIntervalMs?: number;
  /** Backoff after a failed claim: doubles from 1 s up to this (default 30 s). */
  readonly maxBackoffMs?: number;
}

export const DEFAULT_MAX_CONCURRENT_RUNS = 4;
export const DEFAULT_LEASE_MS = 30_000;
export const DEFAULT_POLL_INTERVAL_MS = 2_000;
const MIN_BACKOFF_MS = 1_000;

export class RunWorker {
  readonly runnerId: string;
  readonly #options: RunWorkerOptions;
  readonly #leaseMs: number;
  readonly #running = new Map<string, Promise<void>>();
  readonly #shutdown = new AbortController();
  #timers: NodeJS.Timeout[] = [];
  #started = false;
  #stopping = false;
  /** The claim pass in progress, if any. */
  #pumping: Promise<void> | null = null;
  #again = false;
  #failures = 0;
  #backoffUntil = 0;

  constructor(options: RunWorkerOptions) {
    this.#options = options;
    this.runnerId = options.runnerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    // Every executing run listens for shutdown; more than 10 at once is normal, not a leak.
    setMaxListeners(0, this.#shutdown.signal);
  }

  /** Number of runs executing now. */
  get active(): number {
    return this.#running.size;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { hub } = this.#options;
    hub.on('run.updated', this.#onRunUpdated);
    const poll = this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.#timers.push(setInterval(() => this.#wake(), poll));
    this.#timers.push(setInterval(() => void this.#reap(), this.#options.reapIntervalMs ?? this.#leaseMs));
    // Runs orphaned while this process was down are released before anything new is claimed, and the
    // directories they left behind removed.
    void this.#reap()
      .then(() => this.#sweep())
      .finally(() => this.#wake());
  }

  /**
   * Stops claiming, lets running runs finish for up to graceMs, then cancels them (SIGINT, then SIGKILL
   * after the executor's grace) and waits until each has recorded its final state, which ends its lease.
   */
  async stop({ graceMs }: { graceMs: number }): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#options.hub.off('run.updated', this.#onRunUpdated);
    // A claim in flight may still add a run: wait for it so that run is waited for (or canceled) too.
    await this.#pumping;
    const allDone = Promise.all(this.#running.values());
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, graceMs)));
    await Promise.race([allDone, grace]);
    clearTimeout(graceTimer);
    if (this.#running.size > 0) this.#shutdown.abort();
    await allDone;
  }

  readonly #onRunUpdated = (run: Run): void => {
    if (run.state === 'queued') this.#wake();
  };

  /** Starts a claim pass, or asks the current one to go round again. */
  #wake(): void {
    if (this.#stopping || !this.#started) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#again = false;
    if (performance.now() < this.#backoffUntil) return;
    // Cleared in a callback, which always runs after this assignment, even if the pass ends at once.
    const pass: Promise<void> = this.#pump().finally(() => {
      if (this.#pumping !== pass) return;
      this.#pumping = null;
      // A wake that arrived after the pass's last round must not be lost until the next poll.
      if (this.#again) this.#wake();
    });
    this.#pumping = pass;
  }

  async #pump(): Promise<void> {
    try {
      do {
        this.#again = false;
        await this.#fill();
      } while (this.#again && !this.#stopping);
      this.#failures = 0;
    } catch (error) {
      this.#failures++;
      const maxBackoff = this.#options.maxBackoffMs ?? 30_000;
      const backoff = Math.min(maxBackoff, MIN_BACKOFF_MS * 2 ** (this.#failures - 1));
      this.#backoffUntil = performance.now() + backoff;
      this.#options.logger.error({ err: error, backoff_ms: backoff }, 'claiming runs failed; retrying');
    }
  }

  /** Claims until the concurrency limit is reached or nothing is claimable. */
  async #fill(): Promise<void> {
    const max = this.#options.maxConcurrentRuns ?? DEFAULT_MAX_CONCURRENT_RUNS;
    while (!this.#stopping && this.#running.size < max) {
      const run = await claimNextQueued(this.#options.db, {
        owner: this.runnerId,
        leaseMs: this.#leaseMs,
        now: this.#options.clock.now(),
      });
      if (!run) return;
      this.#running.set(run.id, this.#execute(run));
    }
  }

  async #execute(run: Run): Promise<void> {
    const { logger } = this.#options;
    try {
      await executeRun(run, { ...this.#options, leaseMs: this.#leaseMs }, { signal: this.#shutdown.signal });
    } catch (error) {
      // The executor records failures itself; this is the store failing too. The lease then runs out
      // and the reaper marks the run orphaned.
      logger.error({ err: error, run_id: run.id, workspace: run.workspace }, 'run could not be recorded');
    } finally {
      this.#running.delete(run.id);
      this.#wake();
    }
  }

  async #sweep(): Promise<void> {
    const { db, dataDir, logger } = this.#options;
    try {
      const removed = await removeFinishedRunDirs(db, dataDir);
      if (removed.length > 0) logger.info({ run_ids: removed }, 'removed run directories left behind');
    } catch (error) {
      logger.warn({ err: error }, 'cannot remove old run directories');
    }
  }

  async #reap(): Promise<void> {
    const { db, clock, hub, logger } = this.#options;
    try {
      const reaped = await reapOrphans(db, clock.now(), hub);
      if (reaped.length > 0)
        logger.warn({ run_ids: reaped.map((run) => run.id) }, 'orphaned runs marked failed');
    } catch (error) {
      logger.error({ err: error }, 'reaping orphaned runs failed');
    }
  }
}
