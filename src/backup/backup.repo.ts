import { sql, type Kysely } from 'kysely';
import { dialectOf, inTransaction } from '../store/dialect.ts';
import type { BackupsTable, Db } from '../store/schema.ts';
import { backupTables, orderColumns, sequenceColumns, type BackupTable } from './backup-tables.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- tables are addressed by name here, one loop for all */

/** A row as a backup holds it: column → JSON value (string, number or null on both dialects). */
export type BackupRow = Record<string, unknown>;
export type TableRows = ReadonlyMap<BackupTable, readonly BackupRow[]>;

const MIGRATION_TABLE = 'kysely_migration';
/** Bound parameters per INSERT, well under SQLite's (32766) and PostgreSQL's (65535) limits. */
const PARAMETERS_PER_INSERT = 10_000;

/** The tables of the database as it is, the migrator's own excluded. */
export async function listTables(db: Db): Promise<string[]> {
  const tables = await db.introspection.getTables();
  return tables.map((table) => table.name).filter((name) => !name.startsWith(MIGRATION_TABLE));
}

/** The name of the last migration applied, or null for an unmigrated database. */
export async function migrationLevel(db: Db): Promise<string | null> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((table) => table.name === MIGRATION_TABLE)) return null;
  const row = await (db as Kysely<any>)
    .selectFrom(MIGRATION_TABLE)
    .select('name')
    .orderBy('name', 'desc')
    .limit(1)
    .executeTakeFirst();
  return (row?.name as string | undefined) ?? null;
}

/** SQLite: a consistent copy of the whole database into `file` (a read transaction; writers go on). */
export async function vacuumInto(db: Db, file: string): Promise<void> {
  await sql`vacuum into ${file}`.execute(db);
}

/**
 * Every table's rows as of one instant, in a stable order. PostgreSQL: one REPEATABLE READ, READ ONLY
 * transaction, so all tables come from the same snapshot while writers go on. SQLite: called on the copy
 * `vacuumInto` made, which nothing else writes to.
 */
export async function exportTables(db: Db): Promise<Map<BackupTable, BackupRow[]>> {
  const read = async (trx: Db): Promise<Map<BackupTable, BackupRow[]>> => {
    const result = new Map<BackupTable, BackupRow[]>();
    for (const table of backupTables) result.set(table, await exportTable(trx, table));
    return result;
  };
  if (dialectOf(db) === 'sqlite') return read(db);
  return db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read);
}

async function exportTable(db: Db, table: BackupTable): Promise<BackupRow[]> {
  let query = (db as Kysely<any>).selectFrom(table).selectAll();
  for (const column of orderColumns[table]) query = query.orderBy(column);
  return (await query.execute()) as BackupRow[];
}

/** Row counts of the backed-up tables that exist and hold rows (an unmigrated database has none). */
export async function nonEmptyTables(db: Db): Promise<Array<{ table: BackupTable; rows: number }>> {
  const existing = new Set(await listTables(db));
  const found: Array<{ table: BackupTable; rows: number }> = [];
  for (const table of backupTables) {
    if (!existing.has(table)) continue;
    const rows = await countRows(db, table);
    if (rows > 0) found.push({ table, rows });
  }
  return found;
}

export async function countRows(db: Db, table: BackupTable): Promise<number> {
  const row = await (db as Kysely<any>)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export interface LoadOptions {
  /** Empty the tables first; without it, `refuse` is called (inside the transaction) when any holds rows. */
  readonly force: boolean;
  readonly refuse: (nonEmpty: Array<{ table: BackupTable; rows: number }>) => Error;
  /** Checks the row counts after loading, inside the transaction: a throw rolls everything back. */
  readonly check: (counts: ReadonlyMap<BackupTable, number>) => void;
}

/**
 * Loads every table's rows in one transaction: parents first, PostgreSQL sequences moved past the
 * restored ids. Returns the row count of each table as the database holds it afterwards.
 */
export async function loadTables(
  db: Db,
  rows: TableRows,
  options: LoadOptions,
): Promise<Map<BackupTable, number>> {
  return inTransaction(db, async (trx) => {
    // A backup older than this Tide is restored at its own schema level, without the newer tables.
    const existing = new Set(await listTables(trx));
    const present = backupTables.filter((table) => existing.has(table));
    if (options.force) {
      for (const table of [...present].reverse()) await trx.deleteFrom(table).execute();
    } else {
      const nonEmpty = await nonEmptyTables(trx);
      if (nonEmpty.length > 0) throw options.refuse(nonEmpty);
    }
    for (const table of backupTables) {
      const tableRows = rows.get(table) ?? [];
      if (tableRows.length === 0) continue;
      const columns = Math.max(1, Object.keys(tableRows[0]!).length);
      const batch = Math.max(1, Math.floor(PARAMETERS_PER_INSERT / columns));
      for (let start = 0; start < tableRows.length; start += batch) {
        await (trx as Kysely<any>)
          .insertInto(table)
          .values(tableRows.slice(start, start + batch) as any[])
          .execute();
      }
    }
    if (dialectOf(trx) === 'postgres') await resetSequences(trx);
    const counts = new Map<BackupTable, number>();
    for (const table of present) counts.set(table, await countRows(trx, table));
    options.check(counts);
    return counts;
  });
}

async function resetSequences(db: Db): Promise<void> {
  for (const [table, column] of sequenceColumns) {
    // setval(seq, max, true) makes the next value max + 1; on an empty table (1, false) makes it 1.
    await sql`select setval(pg_get_serial_sequence(${table}, ${column}), coalesce(max(${sql.ref(column)}), 1), max(${sql.ref(column)}) is not null) from ${sql.table(table)}`.execute(
      db,
    );
  }
}

export type BackupRecord = BackupsTable;

export async function recordBackup(db: Db, record: BackupRecord): Promise<void> {
  await db.insertInto('backups').values(record).execute();
}

/** Backups of one trigger, newest first. */
export async function listBackups(db: Db, trigger?: string): Promise<BackupRecord[]> {
  let query = db.selectFrom('backups').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
  if (trigger !== undefined) query = query.where('trigger', '=', trigger);
  return query.execute();
}

export async function deleteBackupRecord(db: Db, id: string): Promise<void> {
  await db.deleteFrom('backups').where('id', '=', id).execute();
}

/** The instant of the newest successful backup, or null when there is none (or no `backups` table yet). */
export async function latestBackupAt(db: Db): Promise<string | null> {
  const tables = await listTables(db);
  if (!tables.includes('backups')) return null;
  const row = await db
    .selectFrom('backups')
    .select('created_at')
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.created_at ?? null;
}
