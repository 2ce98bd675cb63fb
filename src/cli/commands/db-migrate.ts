import type { Command } from 'commander';
import { migrateToLatest } from '../../store/migrate.ts';
import { openDatabase } from '../../store/database.ts';
import type { CliContext } from '../output.ts';
import { loadEnv } from '../settings.ts';

export function registerDbMigrate(program: Command, ctx: CliContext): void {
  program
    .command('db')
    .description('Database maintenance')
    .command('migrate')
    .description('Apply pending database migrations (tide serve also does this at start, under a lock)')
    .option('--data-dir <dir>', 'data directory holding the SQLite database (default: TIDE_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL (default: TIDE_DATABASE_URL; unset = SQLite)')
    .action(async (options: { dataDir?: string; databaseUrl?: string }) => {
      const env = loadEnv();
      const store = await openDatabase({
        url: options.databaseUrl ?? env.TIDE_DATABASE_URL,
        dataDir: options.dataDir ?? env.TIDE_DATA_DIR,
      });
      try {
        const { applied } = await migrateToLatest(store);
        ctx.output.out(
          applied.length === 0
            ? `${store.location}: up to date`
            : `${store.location}: applied ${applied.join(', ')}`,
        );
      } finally {
        await store.close();
      }
    });
}
