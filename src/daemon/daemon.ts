/**
 * `tide serve` as a function of its settings: opens and migrates the store, finds the engine, loads and
 * watches the configuration, and starts the roles this replica runs (api, scheduler, runner). Tests start
 * it in-process with a manual clock; the CLI starts it with the system clock.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { authSettings } from '../auth/auth-settings.ts';
import { bootstrapAdmin } from '../auth/bootstrap-admin.ts';
import { loadJwtSecret } from '../auth/jwt-secret.ts';
import type { LockoutPolicy } from '../auth/login-failures.repo.ts';
import type { OidcSettings } from '../auth/oidc/oidc-settings.ts';
import { formatRoleMap } from '../auth/oidc/role-map.ts';
import { ConfigWatcher } from '../config/config-watcher.ts';
import { discoverEngine, type Engine } from '../engine/engine.ts';
import { EventHub } from '../events/event-hub.ts';
import { DatabaseRateLimiter, startRateLimitPruning } from '../http/rate-limiter.ts';
import type { Logger } from '../log/logger.ts';
import { startMetricsCollector } from '../observability/metrics-collector.ts';
import { createMetrics, type TideMetrics } from '../observability/metrics.ts';
import { RunService } from '../run/run.service.ts';
import { RunWorker } from '../run/run-worker.ts';
import { openSecretStore } from '../secrets/open-secret-store.ts';
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
  /** TIDE_ENV=production: no generated encryption key (production-checks.ts refuses to start first). */
  readonly production?: boolean;
  /** TIDE_ENCRYPTION_KEY; unset outside production: generated in `<data>/encryption-key`. */
  readonly encryptionKey?: Buffer | undefined;
  /** TIDE_ENCRYPTION_KEY_PREVIOUS: still decrypt; their values are re-encrypted at start. */
  readonly previousEncryptionKeys?: readonly Buffer[];
  /** TIDE_PUBLIC_URL (https turns on HSTS) and TIDE_CORS_ORIGINS. */
  readonly publicUrl?: string | undefined;
  readonly corsOrigins?: readonly string[];
  /** TIDE_JWT_SECRET; unset outside production: generated in `<data>/jwt-secret`. */
  readonly jwtSecret?: string | undefined;
  /** TIDE_ACCESS_TOKEN_TTL (default 15 min) and TIDE_REFRESH_TOKEN_TTL (default 7 days). */
  readonly accessTokenTtlMs?: number;
  readonly refreshTokenTtlMs?: number;
  /** TIDE_LOGIN_LOCKOUT_THRESHOLD (default 5) and TIDE_LOGIN_LOCKOUT_DURATION (default 15 min). */
  readonly lockout?: Partial<LockoutPolicy>;
  /** TIDE_OIDC_* resolved by oidcSettings(); absent or null = single sign-on off. */
  readonly oidc?: OidcSettings | null;
  /** Where the first admin's password is shown once (default stdout). */
  readonly print?: (text: string) => void;
}

export interface Daemon {
  readonly store: Store;
  readonly hub: EventHub;
  readonly runs: RunService;
  readonly watcher: ConfigWatcher;
  readonly scheduler: Scheduler | null;
  readonly worker: RunWorker | null;
  readonly app: FastifyInstance | null;
  /** This replica's Prometheus registry (served at /metrics by the api role). */
  readonly metrics: TideMetrics;
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
  const secrets = await openSecretStore({
    db: store.db,
    clock,
    logger,
    dataDir,
    key: settings.encryptionKey,
    previousKeys: settings.previousEncryptionKeys,
    production: settings.production ?? false,
  });
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
          // Only names the workspace declares now: a value left from an old declaration stays stored, unused.
          resolveSecrets: (name) =>
            secrets.resolve(
              name,
              watcher.current().workspaces.get(name)?.definition?.sensitiveVariables ?? [],
            ),
        })
      : null;

  // Before the scheduler and worker start, so their first firings and runs are counted.
  const metrics = createMetrics();
  const collector = startMetricsCollector({ metrics, db: store.db, hub, watcher, worker, logger });

  await scheduler?.start();
  worker?.start();

  let app: FastifyInstance | null = null;
  let url: string | null = null;
  let stopPruning = (): void => undefined;
  if (roles.has('api')) {
    const rateLimiter = new DatabaseRateLimiter(store.db);
    const audit = new AuditLog(store.db, clock);
    const auth = authSettings({
      key: await loadJwtSecret({
        secret: settings.jwtSecret,
        dataDir,
        production: settings.production ?? false,
        logger,
      }),
      publicUrl: settings.publicUrl,
      corsOrigins: settings.corsOrigins,
      accessTokenTtlMs: settings.accessTokenTtlMs,
      refreshTokenTtlMs: settings.refreshTokenTtlMs,
      lockout: settings.lockout,
    });
    await bootstrapAdmin({
      db: store.db,
      clock,
      dataDir,
      logger,
      audit,
      print: settings.print ?? ((text) => process.stdout.write(`${text}\n`)),
    });
    stopPruning = startRateLimitPruning(rateLimiter, { clock, logger });
    app = buildApp({
      db: store.db,
      hub,
      clock,
      config: () => watcher.current(),
      runs,
      logger,
      metrics,
      audit,
      auth,
      secrets,
      security: { publicUrl: settings.publicUrl, corsOrigins: settings.corsOrigins ?? [] },
      oidc: settings.oidc ?? null,
      rateLimiter,
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
    if (settings.oidc)
      logger.info(
        { issuer: settings.oidc.issuer.href, role_map: formatRoleMap(settings.oidc.roleMap) },
        'single sign-on enabled',
      );
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
    metrics,
    url,
    async close(graceMs = 30_000) {
      draining = true;
      await scheduler?.stop();
      await worker?.stop({ graceMs });
      await app?.close();
      stopPruning();
      collector.stop();
      await watcher.close();
      await store.close();
    },
  };
}
