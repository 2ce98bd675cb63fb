/**
 * `tide serve` as a function of its settings: checks the config directory, locks the SQLite data
 * directory, opens and migrates the store, finds the engine, loads and watches the configuration, binds
 * the API's port, and only then starts the supervised loops of the roles this replica runs (api,
 * scheduler, runner). Tests start it in-process with a manual clock; the CLI with the system clock.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../api/app.ts';
import { chainsFiredBy } from '../job/job-plan.ts';
import { ttlPolicy } from '../workspace/ttl-policy.ts';
import { preDestroyChecker } from '../scheduler/pre-destroy-check.ts';
import { ReminderLoop } from '../workspace/reminder-loop.ts';
import { announceDrifts, announceReminders } from '../notification/lifecycle-notifications.ts';
import { Notifications } from '../notification/notifications.ts';
import { announceFiring, announceRunOutcome, backupFailedEvent } from '../notification/run-notifications.ts';
import { GlobalSecrets } from '../secrets/global-secrets.ts';
import { startupTrigger } from '../job/startup-trigger.ts';
import { auditCheckpoints } from '../audit/audit-checkpointer.ts';
import { loadAuditKey } from '../audit/audit-key.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { authSettings } from '../auth/auth-settings.ts';
import { bootstrapAdmin } from '../auth/bootstrap-admin.ts';
import { loadJwtSecret } from '../auth/jwt-secret.ts';
import type { LockoutPolicy } from '../auth/login-failures.repo.ts';
import type { TrustProxy } from '../auth/trust-proxy.ts';
import type { OidcSettings } from '../auth/oidc/oidc-settings.ts';
import { formatRoleMap } from '../auth/oidc/role-map.ts';
import { ConfigWatcher } from '../config/config-watcher.ts';
import { runEnvironment } from '../engine/run-environment.ts';
import { EventHub } from '../events/event-hub.ts';
import { EventRelay } from '../events/event-relay.ts';
import { DatabaseRateLimiter, rateLimitPruning } from '../http/rate-limiter.ts';
import type { Logger } from '../log/logger.ts';
import { MetricsCollector } from '../observability/metrics-collector.ts';
import { createMetrics, type TideMetrics } from '../observability/metrics.ts';
import { RunService } from '../run/run.service.ts';
import { RunWorker } from '../run/run-worker.ts';
import { openSecretStore } from '../secrets/open-secret-store.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { DependencySweep } from '../workspace-dependency/dependency-sweep.ts';
import { acquireAdvisoryLock } from '../store/advisory-lock.ts';
import { openDatabase, type Store } from '../store/database.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import {
  DEFAULT_RETENTION,
  Retention,
  retentionLoop,
  type RetentionSettings,
} from '../retention/retention.ts';
import type { Timers } from '../supervisor/timers.ts';
import type { Clock } from '../time/clock.ts';
import { secureDataDir } from './data-dir.ts';
import { lockDataDir } from '../store/data-dir-lock.ts';
import { checkReadiness } from './readiness.ts';
import { checkConfigDirectory, findEngine, listenFailure, loopbackUrl, OpenedResources } from './startup.ts';
import { openStateServices } from '../state/state-services.ts';
import { TideError } from '../errors/tide-error.ts';
import { TemplateService } from '../template/template.service.ts';
import { templateRegistryLoop } from '../template/template-registry.ts';
import { configuredKeyIds } from '../backup/backup-keys.ts';
import { scheduledBackups } from '../backup/scheduled-backup.ts';

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
  /** TIDE_RUN_ENV_PASSTHROUGH: what runs may see of process.env besides the basics (run-environment.ts). */
  readonly runEnvPassthrough?: readonly string[];
  /** TIDE_STATE_URL: the API base URL engines use for state; default this replica's own listener. */
  readonly stateUrl?: string | undefined;
  /** TIDE_STATE_VERSIONS_KEEP: state versions kept per workspace; 0 (default) keeps every one. */
  readonly stateVersionsKeep?: number;
  /** TIDE_RETENTION_*: what the `retention` loop prunes (docs/retention.md); default DEFAULT_RETENTION. */
  readonly retention?: Omit<RetentionSettings, 'stateVersionsKeep'>;
  /** TIDE_OVERRIDE_MAX: the longest an override may last (default 30 days). */
  readonly overrideMaxMs?: number;
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
  /** The supervisor's restart backoff (tests fire it by hand). */
  readonly backoffTimers?: Timers;
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
  /** TIDE_AUDIT_KEY; unset outside production: generated in `<data>/audit-key`. */
  readonly auditKey?: string | undefined;
  /** TIDE_TTL_MAX: the longest TTL a manual deploy may ask for (default 7 days). */
  readonly ttlMaxMs?: number;
  /** TIDE_REMINDER_LEADS: how long before a destroy reminders go out (default 2 h and 15 min). */
  readonly reminderLeadsMs?: readonly number[];
  /** TIDE_ACCESS_TOKEN_TTL (default 15 min) and TIDE_REFRESH_TOKEN_TTL (default 7 days). */
  readonly accessTokenTtlMs?: number;
  readonly refreshTokenTtlMs?: number;
  /** TIDE_LOGIN_LOCKOUT_THRESHOLD (default 5) and TIDE_LOGIN_LOCKOUT_DURATION (default 15 min). */
  readonly lockout?: Partial<LockoutPolicy>;
  /** TIDE_TRUST_PROXY: proxies whose X-Forwarded-For names the client (default: none). */
  readonly trustProxy?: TrustProxy;
  /** TIDE_OIDC_* resolved by oidcSettings(); absent or null = single sign-on off. */
  readonly oidc?: OidcSettings | null;
  /** Where the first admin's password is shown once (default stdout). */
  readonly print?: (text: string) => void;
  /** TIDE_BACKUP_SCHEDULE, TIDE_BACKUP_DIR (default `<data>/backups`), TIDE_BACKUP_RETAIN; absent: none. */
  readonly backup?: { schedule: string; dir?: string | undefined; retain: number } | undefined;
  /** TIDE_NOTIFY_ALLOW_PRIVATE: notifications may reach private addresses (default false). */
  readonly notifyAllowPrivate?: boolean;
}

export interface Daemon {
  readonly store: Store;
  readonly hub: EventHub;
  readonly runs: RunService;
  readonly watcher: ConfigWatcher;
  /** The git template registry and this replica's copies of pinned templates. */
  readonly templates: TemplateService;
  readonly scheduler: Scheduler | null;
  /** The reminder loop (with the scheduler role); tests call pass() after moving the clock. */
  readonly reminders: ReminderLoop | null;
  readonly worker: RunWorker | null;
  /** Runs the background loops; their health is in readiness and in the tide_subsystem_* metrics. */
  readonly supervisor: Supervisor;
  readonly app: FastifyInstance | null;
  /** This replica's Prometheus registry (served at /metrics by the api role). */
  readonly metrics: TideMetrics;
  /** `notify(db, event)` for emitters (docs/notifications.md), the dispatcher and the test send. */
  readonly notifications: Notifications;
  /** `http://host:port` once listening, else null. */
  readonly url: string | null;
  /**
   * Readiness goes 503, the scheduler stops and nothing new is claimed; running runs get `graceMs`, then
   * are canceled. The API still answers.
   */
  drain(graceMs: number): Promise<void>;
  /** drain(graceMs) (default 30 s), then every loop stops and everything closes, the data directory lock last. */
  close(graceMs?: number): Promise<void>;
}

export async function startDaemon(settings: DaemonSettings): Promise<Daemon> {
  // A start that fails closes what it opened, so no loop, listener or lock outlives the error.
  const opened = new OpenedResources(settings.logger);
  try {
    return await start(settings, opened);
  } catch (error) {
    await opened.closeAll();
    throw error;
  }
}

/**
 * Every fatal check (config directory, data directory lock, database, engine, port) comes before the
 * supervisor starts the loops: a start that cannot work stops before it schedules or runs anything.
 */
async function start(settings: DaemonSettings, opened: OpenedResources): Promise<Daemon> {
  const { clock, logger, roles } = settings;
  const dataDir = path.resolve(settings.dataDir);
  await checkConfigDirectory(settings.configDir);
  await secureDataDir(dataDir, logger);
  // SQLite: one server per data directory. PostgreSQL replicas may share one (run directories are per run).
  if (!settings.databaseUrl?.trim()) {
    const lock = lockDataDir(dataDir, clock.now());
    opened.add(() => lock.release());
  }
  const store = await openDatabase({
    url: settings.databaseUrl,
    dataDir,
    onPoolError: (error) => logger.warn({ err: error }, 'database connection lost'),
  });
  opened.add(() => store.close());
  const { applied } = await migrateToLatest(store);
  logger.info({ database: store.location, dialect: store.dialect, applied }, 'database ready');
  const engine = await findEngine({ tofuBin: settings.tofuBin, required: roles.has('runner'), logger });
  const secrets = await openSecretStore({
    db: store.db,
    clock,
    logger,
    dataDir,
    key: settings.encryptionKey,
    previousKeys: settings.previousEncryptionKeys,
    production: settings.production ?? false,
  });
  // Every role needs it: the api checks run credentials and signs tokens, the runner issues credentials.
  const jwtSecret = await loadJwtSecret({
    secret: settings.jwtSecret,
    dataDir,
    production: settings.production ?? false,
    logger,
  });
  const state = await openStateServices({
    db: store.db,
    keyring: secrets.keyring,
    clock,
    jwtSecret,
    keepVersions: settings.stateVersionsKeep ?? 0,
    dataDir,
    logger,
  });
  // The engine reaches the state backend here: set once the API listens, or TIDE_STATE_URL.
  let stateUrl = settings.stateUrl ?? null;
  if (roles.has('runner') && !roles.has('api') && !stateUrl)
    throw new TideError(
      'invalid_argument',
      'a runner without the api role needs TIDE_STATE_URL: the API its engines reach for state',
    );
  const hub = new EventHub();
  const runs = new RunService({ db: store.db, hub, clock });
  // Git templates (src/template/): the shared registry, read before the configuration so workspaces on a
  // registered template load; each change re-assembles the configuration (content hashes follow the pin).
  let watcherRef: ConfigWatcher | null = null;
  const templates = new TemplateService({
    db: store.db,
    keyring: secrets.keyring,
    clock,
    dataDir,
    logger,
    config: () => watcherRef!.current(),
    onChange: () => void watcherRef?.reassemble(),
  });
  await templates.load();
  const watcher = new ConfigWatcher(settings.configDir, {
    defaultTimeZone: settings.timezone,
    registeredTemplates: () => templates.registered(),
  });
  watcherRef = watcher;
  opened.add(() => watcher.close());
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
  const metrics = createMetrics();
  const globalSecrets = new GlobalSecrets({ db: store.db, keyring: secrets.keyring, clock });
  // Notifications (docs/notifications.md): emitted in the transactions of the changes they announce.
  const notifications = new Notifications({
    db: store.db,
    clock,
    logger,
    config: () => watcher.current(),
    secrets: globalSecrets,
    publicUrl: settings.publicUrl,
    allowPrivate: settings.notifyAllowPrivate ?? false,
    holder: `${hostname()}:${process.pid}`,
    metrics,
  });

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
        preDestroyCheck: preDestroyChecker(runEnvironment(process.env, settings.runEnvPassthrough)),
        announceFiring: announceFiring(notifications.notify),
      })
    : null;
  watcher.on('reload', (event) => {
    logger.info({ changes: event.changes, problems: event.problems.length }, 'configuration reloaded');
    void scheduler?.configChanged();
    notifications
      .configRejected(event.changes, event.config)
      .catch((error: unknown) => logger.warn({ err: error }, 'cannot enqueue config_error notifications'));
  });
  watcher.on('error', (error) => logger.error({ err: error }, 'configuration watcher failed'));

  const worker =
    roles.has('runner') && engine
      ? new RunWorker({
          db: store.db,
          hub,
          clock,
          logger,
          dataDir,
          engine,
          stateBackend: {
            url: () => {
              if (!stateUrl) throw new TideError('internal', 'the state backend URL is not known yet');
              return stateUrl;
            },
            credentials: state.credentials,
          },
          maxConcurrentRuns: settings.maxConcurrentRuns,
          leaseMs: settings.leaseMs,
          pollIntervalMs: settings.pollIntervalMs,
          graceMs: settings.killGraceMs,
          baseEnv: runEnvironment(process.env, settings.runEnvPassthrough),
          resolveWorkspace: (name) => watcher.current().workspaces.get(name)?.definition ?? undefined,
          resolveJob: (workspace, job) => {
            const current = watcher.current();
            const owner = current.workspaces.get(workspace)?.definition;
            return owner
              ? owner.jobs.find((j) => j.name === job)
              : (current.jobs.get(job)?.definition ?? undefined);
          },
          resolveTemplate: (name) =>
            watcher.current().snapshot.templates.get(name) ?? templates.resolve(name),
          // Event triggers and template jobs' destroys, queued with the outcome that fires them.
          chainsFired: chainsFiredBy(() => watcher.current()),
          // A new drift is announced with the check's outcome (docs/drift.md).
          driftNotifier: announceDrifts(notifications.notify, clock),
          // A manual deploy's TTL is set (or a destroy's cleared) with the outcome (docs/ttl.md).
          ttlOf: ttlPolicy(() => watcher.current()),
          announceOutcome: announceRunOutcome(notifications.notify, clock),
          // Only names the workspace declares now: a value left from an old declaration stays stored, unused.
          resolveSecrets: (name) =>
            secrets.resolve(
              name,
              watcher.current().workspaces.get(name)?.definition?.sensitiveVariables ?? [],
            ),
        })
      : null;

  // PostgreSQL replicas share events and keep the loops marked oncePerCluster to one of them at a time.
  const databaseUrl = store.dialect === 'postgres' ? settings.databaseUrl?.trim() : undefined;
  const supervisor = new Supervisor({
    logger,
    metrics,
    timers: settings.backoffTimers,
    ...(databaseUrl && {
      clusterLock: {
        acquire: (name, signal, waiting) => acquireAdvisoryLock(databaseUrl, name, signal, waiting),
      },
    }),
  });
  // Started in this order: the event relay first, so other replicas hear of everything the loops do;
  // the collector, so it counts what the others do; the runner's reaper before its claims and before the
  // scheduler, so orphaned runs are released before anything is decided.
  if (databaseUrl) supervisor.add(new EventRelay({ hub, db: store.db, url: databaseUrl, logger }));
  supervisor.add(new MetricsCollector({ metrics, db: store.db, hub, watcher, worker, logger, clock }));
  for (const subsystem of worker?.subsystems ?? []) supervisor.add(subsystem);
  // Cancels the waiters of a dependency chain that stopped (decision 022); one replica at a time.
  if (roles.has('runner') || roles.has('scheduler'))
    supervisor.add(
      new DependencySweep({ db: store.db, hub, clock, logger, timers: settings.schedulerTimers }),
    );
  if (scheduler) supervisor.add(scheduler);
  // Reminders before TTL ends and scheduled destroys (docs/ttl.md), as notifications; one replica at a time.
  const reminders = scheduler
    ? new ReminderLoop({
        db: store.db,
        clock,
        config: () => watcher.current(),
        logger,
        sink: announceReminders(notifications.notify, clock),
        hub,
        ...(settings.reminderLeadsMs ? { leadsMs: settings.reminderLeadsMs } : {}),
        publicUrl: settings.publicUrl,
        timers: settings.schedulerTimers,
      })
    : null;
  if (reminders) supervisor.add(reminders);
  // Every replica delivers; rows are claimed with a lease, so each goes out from one (decision 032).
  supervisor.add(notifications.dispatcher);
  // Scheduled backups (decision 024): once per cluster, on any replica.
  if (settings.backup)
    supervisor.add(
      scheduledBackups(
        {
          schedule: settings.backup.schedule,
          timeZone: settings.timezone,
          dir: settings.backup.dir ?? path.join(dataDir, 'backups'),
          retain: settings.backup.retain,
        },
        {
          store,
          clock,
          logger,
          configDir: settings.configDir,
          timers: settings.schedulerTimers,
          onFailure: (due, error) =>
            notifications.notify(store.db, backupFailedEvent(due, error, clock.now())),
          keyIds: () =>
            configuredKeyIds({
              encryptionKey: settings.encryptionKey,
              previousKeys: settings.previousEncryptionKeys ?? [],
              auditKey: settings.auditKey,
              dataDir,
            }),
        },
      ),
    );
  supervisor.add(templateRegistryLoop(templates, { onChange: () => void watcher.reassemble() }));
  // Old runs, logs, firings, sessions and state versions (docs/retention.md); one replica at a time.
  supervisor.add(
    retentionLoop(
      new Retention({
        db: store.db,
        clock,
        logger,
        metrics,
        settings: {
          ...DEFAULT_RETENTION,
          ...settings.retention,
          stateVersionsKeep: settings.stateVersionsKeep ?? 0,
        },
      }),
    ),
  );
  // `@startup` jobs: once per cluster start; a SQLite process is the whole cluster, so each start fires.
  if (scheduler)
    supervisor.add(
      startupTrigger({
        db: store.db,
        hub,
        clock,
        logger,
        config: () => watcher.current(),
        holder: `${hostname()}:${process.pid}`,
        ...(store.dialect === 'sqlite' ? { staleMs: 0 } : {}),
      }),
    );

  let app: FastifyInstance | null = null;
  let url: string | null = null;
  if (roles.has('api')) {
    const rateLimiter = new DatabaseRateLimiter(store.db);
    const production = settings.production ?? false;
    const auditKey = await loadAuditKey({ key: settings.auditKey, dataDir, production, logger });
    const audit = new AuditLog(store.db, clock, auditKey);
    const auth = authSettings({
      key: jwtSecret,
      publicUrl: settings.publicUrl,
      corsOrigins: settings.corsOrigins,
      accessTokenTtlMs: settings.accessTokenTtlMs,
      refreshTokenTtlMs: settings.refreshTokenTtlMs,
      lockout: settings.lockout,
      trustProxy: settings.trustProxy,
    });
    supervisor.add(rateLimitPruning(rateLimiter, { clock }));
    supervisor.add(
      auditCheckpoints({
        db: store.db,
        key: auditKey,
        clock,
        dataDir,
        logger,
        headSequence: metrics.auditHeadSequence,
      }),
    );
    const api = buildApp({
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
      templates,
      state: { backend: state.backend, history: state.history },
      security: { publicUrl: settings.publicUrl, corsOrigins: settings.corsOrigins ?? [] },
      oidc: settings.oidc ?? null,
      rateLimiter,
      notifications,
      globalSecrets,
      runBaseEnv: runEnvironment(process.env, settings.runEnvPassthrough),
      ...(settings.ttlMaxMs === undefined ? {} : { ttlMaxMs: settings.ttlMaxMs }),
      ...(settings.overrideMaxMs === undefined ? {} : { overrideMaxMs: settings.overrideMaxMs }),
      // Template switch actions of environments: applied by the API, state in Tide's backend.
      environmentTemplates: {
        engine,
        dataDir,
        stateBackend: {
          url: () => {
            if (!stateUrl) throw new TideError('internal', 'the state backend URL is not known yet');
            return stateUrl;
          },
          credentials: state.credentials,
        },
        resolveTemplate: (name) => watcher.current().snapshot.templates.get(name) ?? templates.resolve(name),
      },
      readiness: () =>
        checkReadiness({
          db: store.db,
          migrated: () => true,
          configLoaded: () => true,
          subsystems: () => supervisor.health(),
          engine: () => engine,
          draining: () => draining,
        }),
    });
    app = api;
    opened.add(() => api.close());
    // Bound before any loop starts: a second server on a busy port stops here, having scheduled nothing.
    url = await api.listen({ host: settings.host, port: settings.port }).catch((error: unknown) => {
      throw listenFailure(error, settings.host, settings.port);
    });
    stateUrl ??= loopbackUrl(api, settings.host);
    // Only a server that got its port creates the first admin and shows its password.
    await bootstrapAdmin({
      db: store.db,
      clock,
      dataDir,
      logger,
      audit,
      print: settings.print ?? ((text) => process.stdout.write(`${text}\n`)),
    });
    if (settings.oidc)
      logger.info(
        { issuer: settings.oidc.issuer.href, role_map: formatRoleMap(settings.oidc.roleMap) },
        'single sign-on enabled',
      );
  }

  await supervisor.start();
  logger.info({ url, roles: [...roles] }, 'tide started');

  const drain = async (graceMs: number): Promise<void> => {
    draining = true;
    await supervisor.stop(['scheduler', 'run-worker']);
    // The lease watch still renews while the runs finish.
    await worker?.stop({ graceMs });
  };
  let closing: Promise<void> | null = null;
  return {
    store,
    hub,
    runs,
    watcher,
    templates,
    scheduler,
    reminders,
    worker,
    supervisor,
    app,
    metrics,
    notifications,
    url,
    drain,
    close(graceMs = 30_000) {
      closing ??= (async () => {
        await drain(graceMs);
        await supervisor.stop();
        await opened.closeAll();
      })();
      return closing;
    },
  };
}
