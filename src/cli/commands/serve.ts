import type { Command } from 'commander';
import { formatProblem } from '../../config/config-loader.ts';
import { ConfigWatcher } from '../../config/config-watcher.ts';
import type { EffectiveConfig } from '../../config/effective-config.ts';
import { createLogger, type Logger } from '../../log/logger.ts';
import { nextFirings } from '../../schedule/firings.ts';
import { openDatabase } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrate.ts';
import { systemClock } from '../../time/clock.ts';
import type { CliContext } from '../output.ts';
import { loadEnv } from '../settings.ts';

interface ServeOptions {
  configDir?: string;
  dataDir?: string;
}

function logSchedule(logger: Logger, config: EffectiveConfig): void {
  const now = systemClock.now();
  for (const [name, { definition, configError }] of config.workspaces) {
    if (configError)
      logger.warn({ workspace: name, config_error: configError }, 'workspace configuration rejected');
    if (!definition) continue;
    const [next] = nextFirings(definition, config.snapshot.calendars, now, 1);
    logger.info(
      {
        workspace: name,
        enabled: definition.enabled,
        next_firing: next
          ? { action: next.action, mode: next.mode, scheduled_at: next.scheduled_at.toISOString() }
          : null,
      },
      'workspace loaded',
    );
  }
}

/**
 * Starts Tide: environment checked, database opened and migrated, configuration loaded and watched.
 * Runs until SIGINT/SIGTERM.
 */
export function registerServe(program: Command, _ctx: CliContext): void {
  program
    .command('serve')
    .description('Run the Tide server')
    .option('--config-dir <dir>', 'configuration directory (default: TIDE_CONFIG_DIR)')
    .option('--data-dir <dir>', 'data directory (default: TIDE_DATA_DIR)')
    .action(async (options: ServeOptions) => {
      const env = loadEnv();
      const logger = createLogger(env.TIDE_LOG_LEVEL);
      const store = await openDatabase({
        url: env.TIDE_DATABASE_URL,
        dataDir: options.dataDir ?? env.TIDE_DATA_DIR,
      });
      const { applied } = await migrateToLatest(store);
      logger.info({ database: store.location, dialect: store.dialect, applied }, 'database ready');
      const watcher = new ConfigWatcher(options.configDir ?? env.TIDE_CONFIG_DIR, {
        defaultTimeZone: env.TIDE_TIMEZONE,
      });
      const config = await watcher.start();
      for (const problem of config.snapshot.problems)
        logger.warn({ problem: formatProblem(problem) }, 'configuration problem');
      logSchedule(logger, config);
      watcher.on('reload', (event) => {
        logger.info({ changes: event.changes }, 'configuration reloaded');
        for (const problem of event.problems)
          logger.warn({ problem: formatProblem(problem) }, 'configuration problem');
      });
      watcher.on('error', (error) => logger.error({ err: error }, 'configuration watcher failed'));
      logger.info({ config_dir: watcher.directory, workspaces: config.workspaces.size }, 'tide started');
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'shutting down');
          resolve();
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
      await watcher.close();
      await store.close();
    });
}
