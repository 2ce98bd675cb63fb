import type { Command } from 'commander';
import { formatProblem } from '../../config/config-loader.ts';
import { oidcSettings } from '../../auth/oidc/oidc-settings.ts';
import { allRoles, startDaemon, type Role } from '../../daemon/daemon.ts';
import { assertProductionReady } from '../../env/production-checks.ts';
import { TideError } from '../../errors/tide-error.ts';
import { createLogger } from '../../log/logger.ts';
import { systemClock } from '../../time/clock.ts';
import type { CliContext } from '../output.ts';
import { configDirectory, loadEnv } from '../settings.ts';

interface ServeOptions {
  configDir?: string;
  dataDir?: string;
  host?: string;
  port?: string;
  role: string;
}

function parseRoles(text: string): Set<Role> {
  const roles = text.split(',').map((role) => role.trim());
  const unknown = roles.filter((role) => !(allRoles as readonly string[]).includes(role));
  if (unknown.length > 0 || roles.length === 0) {
    throw new TideError('invalid_argument', `--role takes a list of ${allRoles.join(', ')}; got "${text}"`);
  }
  return new Set(roles as Role[]);
}

/** Runs Tide until SIGINT/SIGTERM, then shuts down gracefully (SPEC §8). */
export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('Run the Tide server: API, scheduler and runner')
    .option('--config-dir <dir>', 'configuration directory (default: TIDE_CONFIG_DIR, else ./config)')
    .option('--data-dir <dir>', 'data directory (default: TIDE_DATA_DIR)')
    .option('--host <host>', 'interface to bind (default: TIDE_HOST)')
    .option('--port <port>', 'HTTP port (default: TIDE_PORT)')
    .option(
      '--role <roles>',
      `roles of this replica, comma-separated: ${allRoles.join(',')}`,
      allRoles.join(','),
    )
    .action(async (options: ServeOptions) => {
      const env = loadEnv({
        ...ctx.env,
        ...(options.port === undefined ? {} : { TIDE_PORT: options.port }),
      });
      // Before anything opens, listens or generates a key: a production start with weak secrets stops here.
      assertProductionReady(env);
      const configDir = configDirectory(options.configDir, ctx.env, ctx.cwd);
      // Whatever Tide and the engine it runs create (state, plan files, locks) is private to this user.
      process.umask(0o077);
      // Also before anything starts: half-configured single sign-on is a mistake to fix, not to run with.
      const oidc = oidcSettings({
        issuer: env.TIDE_OIDC_ISSUER,
        clientId: env.TIDE_OIDC_CLIENT_ID,
        clientSecret: env.TIDE_OIDC_CLIENT_SECRET,
        scopes: env.TIDE_OIDC_SCOPES,
        roleClaim: env.TIDE_OIDC_ROLE_CLAIM,
        roleMap: env.TIDE_OIDC_ROLE_MAP,
        usernameClaim: env.TIDE_OIDC_USERNAME_CLAIM,
        publicUrl: env.TIDE_PUBLIC_URL,
      });
      const logger = createLogger(env.TIDE_LOG_LEVEL);
      const graceMs = env.TIDE_SHUTDOWN_GRACE_PERIOD;
      const leaseMs = env.TIDE_RUN_LEASE_DURATION;
      const daemon = await startDaemon({
        configDir,
        dataDir: options.dataDir ?? env.TIDE_DATA_DIR,
        databaseUrl: env.TIDE_DATABASE_URL,
        host: options.host ?? env.TIDE_HOST,
        port: env.TIDE_PORT,
        timezone: env.TIDE_TIMEZONE,
        tofuBin: env.TIDE_TOFU_BIN,
        runEnvPassthrough: env.TIDE_RUN_ENV_PASSTHROUGH,
        overrideMaxMs: env.TIDE_OVERRIDE_MAX,
        stateUrl: env.TIDE_STATE_URL,
        stateVersionsKeep: env.TIDE_STATE_VERSIONS_KEEP,
        retention: {
          runsDays: env.TIDE_RETENTION_RUNS_DAYS,
          runLogsDays: env.TIDE_RETENTION_RUN_LOGS_DAYS,
          firingsDays: env.TIDE_RETENTION_FIRINGS_DAYS,
          sessionsDays: env.TIDE_RETENTION_SESSIONS_DAYS,
        },
        maxConcurrentRuns: env.TIDE_MAX_CONCURRENT_RUNS,
        roles: parseRoles(options.role),
        clock: systemClock,
        logger,
        leaseMs,
        production: env.TIDE_ENV === 'production',
        encryptionKey: env.TIDE_ENCRYPTION_KEY,
        previousEncryptionKeys: env.TIDE_ENCRYPTION_KEY_PREVIOUS,
        publicUrl: env.TIDE_PUBLIC_URL,
        notifyAllowPrivate: env.TIDE_NOTIFY_ALLOW_PRIVATE,
        corsOrigins: env.TIDE_CORS_ORIGINS,
        jwtSecret: env.TIDE_JWT_SECRET,
        auditKey: env.TIDE_AUDIT_KEY,
        accessTokenTtlMs: env.TIDE_ACCESS_TOKEN_TTL,
        refreshTokenTtlMs: env.TIDE_REFRESH_TOKEN_TTL,
        ttlMaxMs: env.TIDE_TTL_MAX,
        reminderLeadsMs: env.TIDE_REMINDER_LEADS,
        lockout: { threshold: env.TIDE_LOGIN_LOCKOUT_THRESHOLD, durationMs: env.TIDE_LOGIN_LOCKOUT_DURATION },
        trustProxy: env.TIDE_TRUST_PROXY,
        oidc,
        ...(env.TIDE_BACKUP_SCHEDULE && {
          backup: {
            schedule: env.TIDE_BACKUP_SCHEDULE,
            dir: env.TIDE_BACKUP_DIR,
            retain: env.TIDE_BACKUP_RETAIN,
          },
        }),
      });
      for (const problem of daemon.watcher.current().snapshot.problems) {
        logger.warn({ problem: formatProblem(problem) }, 'configuration problem');
      }
      const signal = await new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      logger.info({ signal, grace_ms: graceMs }, 'shutting down');
      await daemon.close(graceMs);
      logger.info('stopped');
    });
}
