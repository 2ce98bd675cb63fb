/**
 * `@startup`: once per cluster start, not once per replica. A supervised cluster singleton
 * (`oncePerCluster`): the replica holding it takes the startup marker (job-startup.repo.ts), firing the
 * `@startup` chains when the marker is stale, then heartbeats it. With SQLite the process is the whole
 * cluster, so every start fires (staleMs 0). A restart of the subsystem inside one process never fires
 * twice.
 */
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { Logger } from '../log/logger.ts';
import type { RunEventBus } from '../run/run-events.ts';
import type { Db } from '../store/schema.ts';
import type { Subsystem } from '../supervisor/subsystem.ts';
import { realTimers, sleep, type Timers } from '../supervisor/timers.ts';
import type { Clock } from '../time/clock.ts';
import { startupChains } from './job-plan.ts';
import { heartbeatStartupMarker, takeStartupMarker } from './job-startup.repo.ts';

export const DEFAULT_STARTUP_HEARTBEAT_MS = 30_000;

export interface StartupTriggerOptions {
  readonly db: Db;
  readonly hub: RunEventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  config(): EffectiveConfig;
  /** Who holds the marker (the runner or process id). */
  readonly holder: string;
  /** Default 30 s; the marker is stale after three heartbeats. 0 with SQLite: every start fires. */
  readonly heartbeatMs?: number;
  readonly staleMs?: number;
  readonly timers?: Timers;
}

export function startupTrigger(options: StartupTriggerOptions): Subsystem {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_STARTUP_HEARTBEAT_MS;
  const staleMs = options.staleMs ?? heartbeatMs * 3;
  const timers = options.timers ?? realTimers;
  let taken = false;
  return {
    name: 'job-startup',
    oncePerCluster: true,
    async start(signal, up) {
      const { db, hub, clock, logger, holder } = options;
      // Within one process the marker is taken once; a restarted subsystem only heartbeats.
      const { fired, runs } = await takeStartupMarker(db, holder, clock.now(), taken ? null : staleMs, () =>
        startupChains(options.config()),
      );
      taken = true;
      for (const run of runs) hub.emit('run.updated', run);
      if (fired) logger.info({ runs: runs.length }, '@startup fired');
      up();
      while (!signal.aborted) {
        await sleep(heartbeatMs, signal, timers);
        if (!signal.aborted) await heartbeatStartupMarker(db, holder, clock.now());
      }
    },
  };
}
