import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { TideError } from '../errors/tide-error.ts';
import type { Store } from './database.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';

/**
 * Applies every pending migration and returns their names (empty when already up to date).
 *
 * Safe to run from several processes at once: on PostgreSQL Kysely holds an advisory lock around one
 * transaction; on SQLite the whole run is one BEGIN IMMEDIATE transaction (see sqlite-dialect.ts). A
 * failed migration rolls back with everything before it in the same run, leaving the schema as it was.
 */
export async function migrateToLatest(store: Store): Promise<{ applied: string[] }> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => Object.fromEntries(migrations) },
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error !== undefined) throw migrationError(error, results);
  return {
    applied: results.filter((result) => result.status === 'Success').map((result) => result.migrationName),
  };
}

function migrationError(error: unknown, results: MigrationResult[]): TideError {
  const failed = results.find((result) => result.status === 'Error')?.migrationName;
  const message = error instanceof Error ? error.message : String(error);
  const where = failed ? `migration ${failed} failed` : 'preparing the migration tables failed';
  return new TideError('migration_failed', `${where}: ${message}`, {
    details: { migration: failed ?? null },
    cause: error,
  });
}

/**
 * How far the database's schema is from this version's: the migrations it has applied and those still
 * pending, by name. Reads only; creates nothing (`tide doctor` asks it of a database it must not change).
 */
export async function migrationLevel(store: Store): Promise<{ applied: string[]; pending: string[] }> {
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => Object.fromEntries(migrations) },
  });
  const known = await migrator.getMigrations();
  return {
    applied: known.filter((m) => m.executedAt !== undefined).map((m) => m.name),
    pending: known.filter((m) => m.executedAt === undefined).map((m) => m.name),
  };
}

/** The names of every migration this Tide knows, in apply order. */
export const migrationNames: readonly string[] = migrations.map(([name]) => name);

/**
 * Applies pending migrations up to and including `level`, never past it: the schema a backup was taken
 * at (src/backup/). Same locking and rollback as migrateToLatest.
 */
export async function migrateToLevel(db: Kysely<Database>, level: string): Promise<{ applied: string[] }> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => Object.fromEntries(migrations) },
  });
  const { error, results = [] } = await migrator.migrateTo(level);
  if (error !== undefined) throw migrationError(error, results);
  return {
    applied: results.filter((result) => result.status === 'Success').map((result) => result.migrationName),
  };
}
