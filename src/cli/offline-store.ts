import type { Command } from 'commander';
import { openDatabase, type Store } from '../store/database.ts';
import { loadEnv } from './settings.ts';

export interface StoreOptions {
  dataDir?: string;
  databaseUrl?: string;
}

/** The options of commands that open the database directly instead of going through the API. */
export function withStoreOptions(command: Command): Command {
  return command
    .option('--data-dir <dir>', 'data directory holding the SQLite database (default: TIDE_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL (default: TIDE_DATABASE_URL; unset = SQLite)');
}

/**
 * Opens the store those options name (else the environment's: a command passes its own, `ctx.env`), runs
 * `work`, and always closes it.
 */
export async function withOfflineStore<T>(
  options: StoreOptions,
  work: (store: Store) => Promise<T>,
  environment: Readonly<Record<string, string | undefined>> = process.env,
): Promise<T> {
  const env = loadEnv(environment);
  const store = await openDatabase({
    url: options.databaseUrl ?? env.TIDE_DATABASE_URL,
    dataDir: options.dataDir ?? env.TIDE_DATA_DIR,
  });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
