/**
 * The one contract of Tide's background loops (scheduler, claim loop, lease watch, orphan reaper, run
 * directory sweep, rate-limit pruning, metrics collector, event relay): started by the supervisor,
 * restarted with backoff when they fail, their health shown by readiness and by metrics (supervisor.ts).
 */
import { realTimers, sleep, type Timers } from './timers.ts';

export interface Subsystem {
  /** Names it in logs, in readiness checks and in the `subsystem` label of its metrics. */
  readonly name: string;
  /** Caps its restart backoff (default: the supervisor's, 30 s), for loops that must retry sooner. */
  readonly maxBackoffMs?: number;
  /**
   * Runs on one replica of the cluster at a time (cluster-singleton.ts): for work on shared rows that every
   * replica would only repeat. Default false: every replica runs it.
   */
  readonly oncePerCluster?: boolean;
  /**
   * Rebuilds the subsystem's state (from the database, never from what a failed run left in memory) and
   * runs it until `signal` aborts, then resolves. Calls `up()` once it works (its first pass is done).
   * Rejecting, or resolving before the abort, is a failure: the supervisor starts it again after a backoff.
   */
  start(signal: AbortSignal, up: () => void): Promise<void>;
}

export interface PeriodicOptions {
  /** Default: the real setTimeout. */
  readonly timers?: Timers;
  readonly maxBackoffMs?: number;
  /** See Subsystem.oncePerCluster. */
  readonly oncePerCluster?: boolean;
}

/**
 * A subsystem that calls `tick` at once, then `intervalMs` after the end of each tick. A tick that throws
 * fails the subsystem: its restart, after the supervisor's backoff, is the retry.
 */
export function periodic(
  name: string,
  intervalMs: number,
  tick: () => Promise<unknown>,
  options: PeriodicOptions = {},
): Subsystem {
  const timers = options.timers ?? realTimers;
  return {
    name,
    ...(options.maxBackoffMs === undefined ? {} : { maxBackoffMs: options.maxBackoffMs }),
    ...(options.oncePerCluster ? { oncePerCluster: true } : {}),
    async start(signal, up) {
      while (!signal.aborted) {
        await tick();
        up();
        await sleep(intervalMs, signal, timers);
      }
    },
  };
}
