import { PostgresAdapter, type Kysely, type Transaction } from 'kysely';
import { TideError } from '../errors/tide-error.ts';

export type DialectName = 'sqlite' | 'postgres';

/**
 * Which dialect a Kysely instance (or transaction) talks to. Repositories take only the Kysely instance,
 * so they ask it rather than carry the Store around.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations see the database untyped
export function dialectOf(db: Kysely<any>): DialectName {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** The column type of an instant: timestamptz on PostgreSQL, ISO-8601 UTC text on SQLite. */
export function instantType(dialect: DialectName): 'timestamptz' | 'text' {
  return dialect === 'postgres' ? 'timestamptz' : 'text';
}

/** How instants are written on both dialects: ISO-8601 UTC with milliseconds, so text order = time order. */
export function toInstant(at: Date | string): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) {
    throw new TideError('invalid_argument', `not a valid instant: ${String(at)}`);
  }
  return date.toISOString();
}

/** The instant `ms` milliseconds after `from`, as stored (leases, deadlines). */
export function instantAfter(from: Date, ms: number): string {
  return toInstant(new Date(from.getTime() + ms));
}

/**
 * Runs `fn` in a transaction: the caller's, when it passed one (so a repository call composes into a
 * larger unit of work), or a new one. Kysely cannot nest transactions, hence the check.
 */
export async function inTransaction<DB, T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<DB>);
  return db.transaction().execute(fn);
}
