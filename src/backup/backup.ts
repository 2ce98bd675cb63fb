/**
 * Backups (decision 024, docs/backup.md): one tar archive holding `manifest.json` and one JSON-lines file
 * per table, written from one consistent snapshot (SQLite: VACUUM INTO a copy; PostgreSQL: one REPEATABLE
 * READ, READ ONLY transaction). Rows are portable JSON, so an archive restores on either dialect: that is
 * how a SQLite installation moves to PostgreSQL. Keys are never in an archive, only their ids.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';
import { PRIVATE_FILE_MODE } from '../files/file-modes.ts';
import { openDatabase, type Store } from '../store/database.ts';
import { toInstant } from '../store/dialect.ts';
import { migrateToLevel, migrationNames } from '../store/migrate.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { tideVersion } from '../version/version.ts';
import { backupTables, type BackupTable } from './backup-tables.ts';
import {
  exportTables,
  latestBackupAt,
  loadTables,
  migrationLevel,
  recordBackup,
  vacuumInto,
  type BackupRow,
} from './backup.repo.ts';
import { readTar, writeTar, type TarEntry } from './tar.ts';

export const BACKUP_FORMAT = 'tide-backup';
export const BACKUP_FORMAT_VERSION = 1;
const MANIFEST = 'manifest.json';

export interface BackupFile {
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly format_version: number;
  readonly tide_version: string;
  /** The last migration applied to the database backed up: a restore builds exactly that schema. */
  readonly migration_level: string;
  readonly dialect: 'sqlite' | 'postgres';
  readonly created_at: string;
  /** SHA-256 over the config directory's files (paths and contents), or null when none was given. */
  readonly config_hash: string | null;
  /** Ids (fingerprints) of keys, never the keys: what a restore needs the operator to supply. */
  readonly keys: {
    /** Encryption key ids the backed-up rows are sealed with (`key_id` columns). */
    readonly encryption_in_use: readonly string[];
    /** Encryption key ids configured where the backup was taken (TIDE_ENCRYPTION_KEY, previous, key file). */
    readonly encryption_configured: readonly string[];
    /** The audit key's id, or null when none was found where the backup was taken. */
    readonly audit: string | null;
  };
  readonly tables: Readonly<Record<string, number>>;
  readonly files: readonly BackupFile[];
}

export interface KeyIds {
  readonly encryption: readonly string[];
  readonly audit: string | null;
}

export interface CreateBackupOptions {
  readonly store: Store;
  readonly clock: Clock;
  /** Where the archive goes; written to a temporary name beside it, then renamed. */
  readonly file: string;
  readonly trigger: 'manual' | 'schedule';
  readonly configDir?: string | undefined;
  readonly keyIds: KeyIds;
}

export interface CreatedBackup {
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
  readonly manifest: BackupManifest;
}

/** Writes a backup archive of `store` to `file` and records it in `backups`. */
export async function createBackup(options: CreateBackupOptions): Promise<CreatedBackup> {
  const { store } = options;
  const level = await migrationLevel(store.db);
  if (level === null) {
    throw new TideError(
      'database_unavailable',
      `${store.location} is not migrated: there is nothing to back up (run tide db migrate, or start tide serve)`,
    );
  }
  const createdAt = options.clock.now();
  const tables = await snapshot(store);
  const entries: TarEntry[] = [];
  const files: BackupFile[] = [];
  const counts: Record<string, number> = {};
  for (const table of backupTables) {
    const rows = tables.get(table) ?? [];
    const data = Buffer.from(rows.map((row) => `${JSON.stringify(row)}\n`).join(''), 'utf8');
    const name = tableFile(table);
    entries.push({ name, data });
    files.push({ name, sha256: sha256(data), size: data.length });
    counts[table] = rows.length;
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    format_version: BACKUP_FORMAT_VERSION,
    tide_version: tideVersion,
    migration_level: level,
    dialect: store.dialect,
    created_at: toInstant(createdAt),
    config_hash: options.configDir ? await configHash(options.configDir) : null,
    keys: {
      encryption_in_use: keyIdsInUse(tables),
      encryption_configured: [...new Set(options.keyIds.encryption)].sort(),
      audit: options.keyIds.audit,
    },
    tables: counts,
    files,
  };
  const archive = writeTar(
    [{ name: MANIFEST, data: Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`) }, ...entries],
    createdAt,
  );
  const file = path.resolve(options.file);
  const partial = `${file}.partial-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(partial, archive, { mode: PRIVATE_FILE_MODE, flag: 'wx' });
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw new TideError('invalid_argument', `cannot write the backup to ${file}: ${messageOf(error)}`, {
      details: { file },
      cause: error,
    });
  }
  const digest = sha256(archive);
  await recordBackup(store.db, {
    id: randomUUID(),
    created_at: manifest.created_at,
    trigger: options.trigger,
    file,
    size: archive.length,
    sha256: digest,
  });
  return { file, size: archive.length, sha256: digest, manifest };
}

async function snapshot(store: Store): Promise<Map<BackupTable, BackupRow[]>> {
  if (store.dialect === 'postgres') return exportTables(store.db);
  // VACUUM INTO copies the database as of one read transaction without blocking writers; the copy is
  // then read at leisure and removed.
  const dir = await mkdtemp(path.join(tmpdir(), 'tide-backup-'));
  try {
    await vacuumInto(store.db, path.join(dir, 'tide.db'));
    const copy = await openDatabase({ dataDir: dir });
    try {
      return await exportTables(copy.db);
    } finally {
      await copy.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function keyIdsInUse(tables: ReadonlyMap<BackupTable, readonly BackupRow[]>): string[] {
  const ids = new Set<string>();
  for (const rows of tables.values()) {
    for (const row of rows) if (typeof row.key_id === 'string') ids.add(row.key_id);
  }
  return [...ids].sort();
}

/** SHA-256 over every regular file under `dir`: relative path, NUL, content, NUL, in path order. */
export async function configHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
  for (const file of files) {
    hash.update(path.relative(dir, file).split(path.sep).join('/')).update('\0');
    hash.update(await readFile(file)).update('\0');
  }
  return hash.digest('hex');
}

export interface VerifiedBackup {
  readonly manifest: BackupManifest;
  readonly tables: ReadonlyMap<BackupTable, readonly BackupRow[]>;
}

/**
 * Checks an archive without restoring it: the tar structure, the manifest, every file's size and SHA-256,
 * that each table file parses and holds the rows the manifest counts, and that this Tide knows its schema.
 * Throws `backup_invalid` naming the first bad file.
 */
export function verifyBackup(archive: Buffer, source: string): VerifiedBackup {
  const entries = readTar(archive, source);
  const invalid = (file: string, message: string): TideError =>
    new TideError('backup_invalid', `${source}: ${file}: ${message}`, { details: { archive: source, file } });
  const manifestEntry = entries.find((entry) => entry.name === MANIFEST);
  if (!manifestEntry) throw invalid(MANIFEST, 'missing: this is not a Tide backup');
  const manifest = parseManifest(manifestEntry.data, invalid);
  if (!migrationNames.includes(manifest.migration_level)) {
    throw invalid(
      MANIFEST,
      `the backup's schema (migration ${manifest.migration_level}, Tide ${manifest.tide_version}) is unknown to this Tide ${tideVersion}: restore it with that version or a newer one`,
    );
  }
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  for (const entry of entries) {
    if (entry.name !== MANIFEST && !manifest.files.some((file) => file.name === entry.name)) {
      throw invalid(entry.name, 'not listed in the manifest');
    }
  }
  const tables = new Map<BackupTable, BackupRow[]>();
  for (const file of manifest.files) {
    const entry = byName.get(file.name);
    if (!entry) throw invalid(file.name, 'listed in the manifest but missing from the archive');
    if (entry.data.length !== file.size) {
      throw invalid(file.name, `size ${entry.data.length} bytes, the manifest says ${file.size}`);
    }
    const digest = sha256(entry.data);
    if (digest !== file.sha256) {
      throw invalid(
        file.name,
        `checksum mismatch (sha256 ${digest}, the manifest says ${file.sha256}): the file is damaged`,
      );
    }
    const table = tableOf(file.name);
    if (!table) throw invalid(file.name, 'not a table this Tide knows');
    const rows = parseRows(entry.data, (message) => invalid(file.name, message));
    if (rows.length !== manifest.tables[table]) {
      throw invalid(file.name, `${rows.length} rows, the manifest says ${String(manifest.tables[table])}`);
    }
    tables.set(table, rows);
  }
  for (const table of backupTables) {
    if (manifest.tables[table] !== undefined && !tables.has(table)) {
      throw invalid(tableFile(table), 'counted in the manifest but not listed among its files');
    }
  }
  return { manifest, tables };
}

function parseManifest(data: Buffer, invalid: (file: string, message: string) => TideError): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw invalid(MANIFEST, `not valid JSON (${messageOf(error)})`);
  }
  const manifest = value as Partial<BackupManifest> | null;
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== BACKUP_FORMAT) {
    throw invalid(MANIFEST, `not a Tide backup manifest (format is not "${BACKUP_FORMAT}")`);
  }
  if (manifest.format_version !== BACKUP_FORMAT_VERSION) {
    throw invalid(
      MANIFEST,
      `format version ${String(manifest.format_version)}; this Tide ${tideVersion} reads version ${BACKUP_FORMAT_VERSION}`,
    );
  }
  if (
    typeof manifest.migration_level !== 'string' ||
    !Array.isArray(manifest.files) ||
    typeof manifest.tables !== 'object' ||
    manifest.tables === null ||
    !manifest.files.every(
      (file) =>
        typeof file?.name === 'string' && typeof file.sha256 === 'string' && typeof file.size === 'number',
    )
  ) {
    throw invalid(
      MANIFEST,
      'incomplete: migration_level, tables and files (name, sha256, size) are required',
    );
  }
  return manifest as BackupManifest;
}

function parseRows(data: Buffer, invalid: (message: string) => TideError): BackupRow[] {
  const text = data.toString('utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw invalid('truncated (the last line has no end)');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, index) => {
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw invalid(`line ${index + 1} is not valid JSON`);
      }
      if (typeof row !== 'object' || row === null || Array.isArray(row)) {
        throw invalid(`line ${index + 1} is not a row object`);
      }
      return row as BackupRow;
    });
}

export interface RestoreOptions {
  readonly store: Store;
  readonly archive: Buffer;
  /** Names the archive in messages. */
  readonly source: string;
  /** Replace the rows of a database that holds some (otherwise refused). */
  readonly force: boolean;
}

export interface RestoredBackup {
  readonly manifest: BackupManifest;
  readonly rows: number;
}

/**
 * Restores an archive into `store`: verified first (nothing is written from a bad archive), the schema
 * built up to the backup's migration level, then every row in one transaction. A database that holds rows
 * is refused unless `force`, which replaces them (in the same transaction).
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoredBackup> {
  const { store, source } = options;
  const { manifest, tables } = verifyBackup(options.archive, source);
  const level = await migrationLevel(store.db);
  if (level !== null && level > manifest.migration_level) {
    throw new TideError(
      'conflict',
      `${store.location} is migrated further (${level}) than the backup (${manifest.migration_level}): restore into an unmigrated database, or one migrated by the same Tide version as the backup (${manifest.tide_version})`,
      { details: { database: level, backup: manifest.migration_level } },
    );
  }
  if (level !== manifest.migration_level) await migrateToLevel(store.db, manifest.migration_level);
  await loadTables(store.db, tables, {
    force: options.force,
    refuse: (nonEmpty) =>
      new TideError(
        'conflict',
        `${store.location} is not empty (${nonEmpty.map(({ table, rows }) => `${table}: ${rows} rows`).join(', ')}): restore into an empty database, or pass --force to replace its data`,
        { details: { tables: Object.fromEntries(nonEmpty.map(({ table, rows }) => [table, rows])) } },
      ),
    check: (counts) => {
      for (const table of backupTables) {
        const expected = manifest.tables[table] ?? 0;
        if ((counts.get(table) ?? 0) !== expected) {
          throw new TideError(
            'internal',
            `restoring ${tableFile(table)} left ${String(counts.get(table))} rows instead of ${expected}; nothing was restored`,
          );
        }
      }
    },
  });
  const rows = [...tables.values()].reduce((sum, list) => sum + list.length, 0);
  return { manifest, rows };
}

/** When the newest successful backup of this database was taken (for `tide doctor` and the metric). */
export async function lastSuccessfulBackup(db: Db): Promise<Date | null> {
  const at = await latestBackupAt(db);
  return at === null ? null : new Date(at);
}

export async function readArchive(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new TideError('invalid_argument', `cannot read the backup ${file}: ${messageOf(error)}`, {
      details: { file },
      cause: error,
    });
  }
}

function tableFile(table: BackupTable): string {
  return `tables/${table}.jsonl`;
}

function tableOf(name: string): BackupTable | undefined {
  const match = /^tables\/([a-z_]+)\.jsonl$/.exec(name);
  return backupTables.find((table) => table === match?.[1]);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
