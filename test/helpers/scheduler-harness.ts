import { loadConfigDirectory } from '../../src/config/config-loader.ts';
import { applySnapshot, type EffectiveConfig } from '../../src/config/effective-config.ts';
import { EventHub } from '../../src/events/event-hub.ts';
import { createLogger } from '../../src/log/logger.ts';
import { RunService } from '../../src/run/run.service.ts';
import { Scheduler } from '../../src/scheduler/scheduler.ts';
import type { Db } from '../../src/store/schema.ts';
import type { Timers } from '../../src/supervisor/timers.ts';
import { ManualClock } from '../../src/time/clock.ts';
import { makeConfigDir } from './config-dir.ts';

/** Timers that never fire: the test moves the clock and calls tick() itself. Records the last sleep. */
export class ManualTimers implements Timers {
  lastDelayMs: number | null = null;
  set(_callback: () => void, ms: number): unknown {
    this.lastDelayMs = ms;
    return ms;
  }
  clear(): void {}
}

/**
 * A scheduler started and stopped by hand, the way tests drive it: start() resolves once its first pass
 * is done (and rejects if that pass failed), stop() aborts it. Supervision is tested with the Scheduler
 * itself under a Supervisor.
 */
export interface StartedScheduler {
  readonly scheduler: Scheduler;
  start(): Promise<void>;
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export interface SchedulerHarness {
  clock: ManualClock;
  hub: EventHub;
  runs: RunService;
  timers: ManualTimers;
  /** What the schedulers read; a test may replace it (then call configChanged). */
  config: EffectiveConfig;
  /** The config directory, for tests that rewrite files and reload. */
  readonly dir: string;
  /** `timers` defaults to the harness's ManualTimers. */
  newScheduler(timers?: Timers): StartedScheduler;
  cleanup(): void;
}

function startedScheduler(scheduler: Scheduler): StartedScheduler {
  const controller = new AbortController();
  let running: Promise<void> = Promise.resolve();
  return {
    scheduler,
    start: () =>
      new Promise<void>((resolve, reject) => {
        running = scheduler.start(controller.signal, resolve);
        running.then(resolve, reject);
      }),
    tick: () => scheduler.tick(),
    async stop() {
      controller.abort();
      await running;
    },
  };
}

/** A scheduler over a real store and a real config directory, with a manual clock. */
export async function schedulerHarness(
  db: Db,
  files: Record<string, string | object>,
  start: string,
): Promise<SchedulerHarness> {
  const dir = makeConfigDir(files);
  const { snapshot } = await loadConfigDirectory(dir.dir, { defaultTimeZone: 'UTC' });
  if (snapshot.problems.length > 0) throw new Error(snapshot.problems.map((p) => p.message).join('; '));
  const config = applySnapshot(null, snapshot).next;
  const clock = new ManualClock(start);
  const hub = new EventHub();
  const runs = new RunService({ db, hub, clock });
  const timers = new ManualTimers();
  const logger = createLogger('silent');
  let counter = 0;
  const harness: SchedulerHarness = {
    clock,
    hub,
    runs,
    timers,
    config,
    dir: dir.dir,
    newScheduler: (own = timers) =>
      startedScheduler(
        new Scheduler({
          db,
          hub,
          clock,
          // Read through the harness, so a test can swap the configuration and call configChanged().
          config: () => harness.config,
          runs,
          logger,
          timers: own,
          random: () => (counter++ % 10) / 10,
        }),
      ),
    cleanup: dir.cleanup,
  };
  return harness;
}
