/**
 * `tide serve` as a function of its settings: opens and migrates the store, finds the engine, loads and
 * watches the configuration, and starts the roles this replica runs (api, scheduler, runner). Tests start
 * it in-process with a manual clock; the CLI starts it with the system clock.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.ts';
import { ConfigWatcher } from '../config/config-watcher.ts';
import { discoverEngine, type Engine } from '../engine/engine.ts';
import { EventHub } from '../events/event-hub.ts';
import type { Logger } from '../log/logger.ts';
import { RunService } from '../run/run.service.ts';
import { RunWorker } from '../run/run-worker.ts';
import { Scheduler, type Timers } from '../scheduler/scheduler.ts';
import { openDatabase, type Store } from '../store/database.ts';
import { migrateToLatest } from '../store/migrate.ts';
import type { Clock } from '../time/clock.ts';
import { checkReadiness } from './readiness.ts';

export type Role = 'api' | 'scheduler' | 'runner';
export const allRoles: readonly Role[] = ['api', 'scheduler', 'runner'];

export interface DaemonSettings {
  readonly configDir: string;
  readonly dataDir: string;
  readonly databaseUrl?: string | undefined;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly timezone: string;
  readonly tofuBin?: string | undefined;
  readonly maxConcurrentRuns: number;
  readonly roles: ReadonlySet<Role>;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Tuning, mostly for tests. */
  readonly leaseMs?: number;
  readonly pollIntervalMs?: number;
  readonly reconcileIntervalMs?: number;
  /** Between SIGINT and SIGKILL when a run is cancelled or times out (default 10 s). */
  readonly killGraceMs?: number;
  readonly schedulerTimers?: Timers;
}

export interface Daemon {
  readonly store: Store;
  readonly hub: EventHub;
  readonly runs: RunService;
  readonly watcher: ConfigWatcher;
  readonly scheduler: Scheduler | null;
  readonly worker: RunWorker | null;
  readonly app: FastifyInstance | null;
  /** `http://host:port` once listening, else null. */
  readonly url: string | null;
  /** Readiness goes 503, no new claims, running runs get `graceMs`, then everything closes. */
  close(graceMs?: number): Promise<void>;
}

async function findEngine(settings: DaemonSettings): Promise<Engine | Error> {
  try {
    return await discoverEngine({ tofuBin: settings.tofuBin, path: process.env.PATH });
  } catch (error) {
    settings.logger.error({ err: error }, 'no OpenTofu engine: runs cannot start until one is installed');
    return error as Error;
  }
}

export async function startDaemon(settings: DaemonSettings): Promise<Daemon> {
  const { clock, logger, roles } = settings;
  const dataDir = path.resolve(settings.dataDir);
  const store = await openDatabase({
    url: settings.databaseUrl,
    dataDir,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection lost'),
  });
  const { applied } = await migrateToLatest(store);
  logger.info({ database: store.location, dialect: store.dialect, applied }, 'database ready');
  const engine = await findEngine(settings);
  if (!(engine instanceof Error))
    logger.info({ engine: engine.name, version: engine.version, bin: engine.bin }, 'engine found');
  const hub = new EventHub();
  const runs = new RunService({ db: store.db, hub, clock });
  const watcher = new ConfigWatcher(settings.configDir, { defaultTimeZone: settings.timezone });
  const config = await watcher.start();
  logger.info(
    {
      config_dir: watcher.directory,
      workspaces: config.workspaces.size,
      problems: config.snapshot.problems.length,
    },
    'configuration loaded',
  );
  let draining = false;

  const scheduler = roles.has('scheduler')
    ? new Scheduler({
        db: store.db,
        hub,
        clock,
        config: () => watcher.current(),
        runs,
        logger,
        reconcileIntervalMs: settings.reconcileIntervalMs,
        timers: settings.schedulerTimers,
      })
    : null;
  watcher.on('reload', (event) => {
    logger.info({ changes: event.changes, problems: event.problems.length }, 'configuration reloaded');
    void scheduler?.configChanged();
  });
  watcher.on('error', (error) => logger.error({ err: error }, 'configuration watcher failed'));

  const worker =
    roles.has('runner') && !(engine instanceof Error)
      ? new RunWorker({
          db: store.db,
          hub,
          clock,
          logger,
          dataDir,
          engine,
          maxConcurrentRuns: settings.maxConcurrentRuns,
          leaseMs: settings.leaseMs,
          pollIntervalMs: settings.pollIntervalMs,
          graceMs: settings.killGraceMs,
          resolveWorkspace: (name) => watcher.current().workspaces.get(name)?.definition ?? undefined,
          resolveJob: (workspace, job) => {
            const current = watcher.current();
            const owner = current.workspaces.get(workspace)?.definition;
            return owner
              ? owner.jobs.find((j) => j.name === job)
              : (current.jobs.get(job)?.definition ?? undefined);
          },
          resolveTemplate: (name) => watcher.current().snapshot.templates.get(name),
        })
      : null;

  await scheduler?.start();
  worker?.start();

  let app: FastifyInstance | null = null;
  let url: string | null = null;
  if (roles.has('api')) {
    app = buildApp({
      db: store.db,
      hub,
      clock,
      config: () => watcher.current(),
      runs,
      logger,
      readiness: () =>
        checkReadiness({
          db: store.db,
          migrated: () => true,
          configLoaded: () => true,
          schedulerRunning: scheduler ? () => scheduler.running : null,
          engine: () => engine,
          draining: () => draining,
        }),
    });
    url = await app.listen({ host: settings.host, port: settings.port });
    logger.info({ url, roles: [...roles] }, 'tide started');
  }

  return {
    store,
    hub,
    runs,
    watcher,
    scheduler,
    worker,
    app,
    url,
    async close(graceMs = 30_000) {
      draining = true;
      await scheduler?.stop();
      await worker?.stop({ graceMs });
      await app?.close();
      await watcher.close();
      await store.close();
    },
  };
}
