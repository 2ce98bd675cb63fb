/**
 * Which git templates `tide validate` knows of: those registered in the database (`tide template add`),
 * when it can read one without creating it — PostgreSQL named by `--database-url` or TIDE_DATABASE_URL,
 * or the SQLite file of `--data-dir` / TIDE_DATA_DIR if it exists. Otherwise none: a workspace on a git
 * template is then reported as naming a template that does not exist.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readRegisteredTemplates } from '../../template/template.service.ts';
import { withOfflineStore, type StoreOptions } from '../offline-store.ts';
import { loadEnv } from '../settings.ts';

export type { StoreOptions };

export async function registryFor(
  options: StoreOptions,
  environment: Readonly<Record<string, string | undefined>>,
): Promise<ReadonlyMap<string, string>> {
  const env = loadEnv(environment);
  const url = options.databaseUrl ?? env.TIDE_DATABASE_URL;
  const dataDir = options.dataDir ?? env.TIDE_DATA_DIR;
  if (!url?.trim() && !existsSync(path.join(dataDir, 'tide.db'))) return new Map();
  return withOfflineStore(options, (store) => readRegisteredTemplates(store.db), environment);
}
