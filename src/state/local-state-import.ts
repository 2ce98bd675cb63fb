/**
 * Before Tide was its own state backend, each replica kept state in `<data>/state/<workspace>/
 * terraform.tfstate` (template jobs: `<data>/state/_jobs/<scope>/<job>/`). At start, every such file is
 * imported as a version of its state key and then removed with its `.backup`, so state lives only in the
 * database and no plaintext state stays on disk. A file is imported only when it is newer (higher serial)
 * than what the database holds; an older one (another replica's divergent copy) is left in place and
 * named in a warning, for an operator to look at, never silently dropped.
 */
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { Keyring } from '../secrets/encryption-key.ts';
import { inTransaction, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { checksumOf, parseStateHeader } from './state-document.ts';
import { sealState } from './state-sealing.ts';
import { insertStateVersion, latestStateVersion, lockStateKey } from './state.repo.ts';

export const LOCAL_STATE_FILE = 'terraform.tfstate';
/** `<data>/state`: where older versions kept state. */
export const LOCAL_STATE_ROOT = 'state';

export interface LocalStateImportOptions {
  readonly db: Db;
  readonly keyring: Keyring;
  readonly dataDir: string;
  readonly now: Date;
  readonly logger: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
}

export interface LocalStateImportResult {
  /** State keys imported. */
  readonly imported: string[];
  /** Files left in place: older than the database's version, or not a state document. */
  readonly kept: string[];
}

export async function importLocalState(options: LocalStateImportOptions): Promise<LocalStateImportResult> {
  const root = path.join(options.dataDir, LOCAL_STATE_ROOT);
  const result: LocalStateImportResult = { imported: [], kept: [] };
  for (const key of await stateKeysUnder(root)) {
    const dir = path.join(root, ...key.split('/'));
    const file = path.join(dir, LOCAL_STATE_FILE);
    const content = await readFile(file).catch(() => Buffer.alloc(0));
    // An empty file is what older versions created before the first apply: no state.
    if (content.length > 0 && !(await importFile(options, key, file, content))) {
      result.kept.push(file);
      continue;
    }
    if (content.length > 0) result.imported.push(key);
    await rm(file, { force: true });
    await rm(`${file}.backup`, { force: true });
    await rmdir(dir).catch(() => undefined);
  }
  await pruneEmptyDirs(root);
  if (result.imported.length > 0)
    options.logger.info({ state_keys: result.imported }, 'local state files imported into the database');
  return result;
}

/** True when the file is in the database now (imported, or the same content already there). */
async function importFile(
  options: LocalStateImportOptions,
  key: string,
  file: string,
  content: Buffer,
): Promise<boolean> {
  let header;
  try {
    header = parseStateHeader(content);
  } catch (error) {
    options.logger.warn({ file, err: error }, 'not a state file: left in place, not imported');
    return false;
  }
  const checksum = checksumOf(content);
  return inTransaction(options.db, async (trx) => {
    // Replicas starting together may import copies of the same workspace's state at once.
    await lockStateKey(trx, key);
    const latest = await latestStateVersion(trx, key);
    if (latest && latest.checksum === checksum) return true;
    if (latest && !latest.deleted && latest.serial >= header.serial) {
      options.logger.warn(
        { file, serial: header.serial, database_serial: latest.serial, state_key: key },
        'local state file is older than the state in the database: left in place, not imported',
      );
      return false;
    }
    await insertStateVersion(trx, {
      state_key: key,
      serial: header.serial,
      lineage: header.lineage,
      checksum,
      size: content.length,
      run_id: null,
      written_by: `import:${path.relative(options.dataDir, file)}`,
      created_at: toInstant(options.now),
      ...sealState(options.keyring, key, content),
    });
    return true;
  });
}

/** `<workspace>` and `_jobs/<scope>/<job>` directories holding a state file. */
async function stateKeysUnder(root: string): Promise<string[]> {
  const keys: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true }).catch(() => [])) {
    if (!entry.isDirectory()) continue;
    if (entry.name !== '_jobs') {
      if (await hasStateFile(path.join(root, entry.name))) keys.push(entry.name);
      continue;
    }
    for (const scope of await readdir(path.join(root, '_jobs'), { withFileTypes: true })) {
      if (!scope.isDirectory()) continue;
      for (const job of await readdir(path.join(root, '_jobs', scope.name), { withFileTypes: true })) {
        const key = `_jobs/${scope.name}/${job.name}`;
        if (job.isDirectory() && (await hasStateFile(path.join(root, key)))) keys.push(key);
      }
    }
  }
  return keys.sort();
}

async function hasStateFile(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch((): string[] => []);
  return names.includes(LOCAL_STATE_FILE) || names.includes(`${LOCAL_STATE_FILE}.backup`);
}

async function pruneEmptyDirs(root: string): Promise<void> {
  for (const dir of [path.join(root, '_jobs'), root]) {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory()) await rmdir(path.join(dir, entry.name)).catch(() => undefined);
    }
    await rmdir(dir).catch(() => undefined);
  }
}
