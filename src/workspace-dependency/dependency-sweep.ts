/**
 * The dependency sweep (decision 022): cancels the queued runs whose awaited run failed, timed out or was
 * canceled, then their waiters, so no waiter is left queued forever behind a chain that stopped. A
 * supervised subsystem on one replica of the cluster at a time; it sweeps at start, whenever a run ends
 * without succeeding (on any replica: the event relay carries those), and on an interval for what it was
 * not told about (an event lost while a replica's listener reconnected, a crash between two sweeps).
 */
import type { Logger } from '../log/logger.ts';
import type { RunEventBus } from '../run/run-events.ts';
import { isDone } from '../run/run-state.ts';
import type { Run } from '../run/run.ts';
import type { Db } from '../store/schema.ts';
import type { Subsystem } from '../supervisor/subsystem.ts';
import { realTimers, type Timers } from '../supervisor/timers.ts';
import type { Clock } from '../time/clock.ts';
import { cancelStrandedWaiters } from './run-wait.repo.ts';

export interface DependencySweepDeps {
  readonly db: Db;
  readonly hub: RunEventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default 30 s. */
  readonly intervalMs?: number;
  readonly timers?: Timers;
}

export const DEFAULT_SWEEP_INTERVAL_MS = 30_000;

export class DependencySweep implements Subsystem {
  readonly name = 'dependency-sweep';
  readonly oncePerCluster = true;
  readonly #deps: DependencySweepDeps;
  #woken = false;
  #ring: (() => void) | null = null;

  constructor(deps: DependencySweepDeps) {
    this.#deps = deps;
  }

  async start(signal: AbortSignal, up: () => void): Promise<void> {
    this.#deps.hub.on('run.updated', this.#onRun);
    try {
      await this.sweep();
      up();
      while (!signal.aborted) {
        await this.#nextWake(signal);
        if (!signal.aborted) await this.sweep();
      }
    } finally {
      this.#deps.hub.off('run.updated', this.#onRun);
    }
  }

  /** One pass: cancels the stranded waiters and announces each. */
  async sweep(): Promise<Run[]> {
    this.#woken = false;
    const canceled = await cancelStrandedWaiters(this.#deps.db, this.#deps.clock.now());
    for (const run of canceled) {
      this.#deps.hub.emit('run.updated', run);
      this.#deps.logger.warn(
        { run_id: run.id, workspace: run.workspace, reason: run.reason },
        'run canceled: its dependency chain stopped',
      );
    }
    return canceled;
  }

  readonly #onRun = (run: Run): void => {
    if (isDone(run.state) && run.state !== 'succeeded') {
      this.#woken = true;
      this.#ring?.();
    }
  };

  #nextWake(signal: AbortSignal): Promise<void> {
    const timers = this.#deps.timers ?? realTimers;
    return new Promise((resolve) => {
      if (this.#woken || signal.aborted) return resolve();
      const ring = (): void => {
        this.#ring = null;
        timers.clear(timer);
        signal.removeEventListener('abort', ring);
        resolve();
      };
      const timer = timers.set(ring, this.#deps.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
      signal.addEventListener('abort', ring, { once: true });
      this.#ring = ring;
    });
  }
}
