/**
 * A cheap answer to "may the database have changed since I last looked?", for read caches that must never
 * serve what a write made stale (decision 043). On SQLite the stamp is the number of writing statements
 * Tide's own connection has executed (counted as they are prepared, just before they run, committed or
 * not) with `PRAGMA data_version` (bumped by every commit of any other connection or process: a CLI next
 * to `tide serve`, a restore): equal stamps mean no row changed in between. PostgreSQL has no such counter for the other replicas'
 * writes, so there is no stamp and callers do not cache.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Db } from './schema.ts';

/** Equal values mean no row changed in between; null means the store cannot tell. */
export type ChangeStamp = () => string | null;

const noStamp: ChangeStamp = () => null;
const stamps = new WeakMap<Db, ChangeStamp>();

/** The stamp of one SQLite connection; `wrote` is called for every writing statement it executes. */
export interface SqliteChangeCounter {
  readonly stamp: ChangeStamp;
  wrote(): void;
}

export function sqliteChangeCounter(sqlite: BetterSqlite3.Database): SqliteChangeCounter {
  // Counted in JavaScript rather than read with `total_changes()`: one statement less per stamp, which
  // a cached request reads twice (its principal, its answer).
  let writes = 0;
  const othersCommits = sqlite.prepare('PRAGMA data_version').pluck();
  return {
    stamp: () => `${writes}:${String(othersCommits.get())}`,
    wrote: () => void writes++,
  };
}

/** Called where the store is opened: the stamp belongs to the connection behind `db`. */
export function registerChangeStamp(db: Db, stamp: ChangeStamp): void {
  stamps.set(db, stamp);
}

export function changeStampOf(db: Db): ChangeStamp {
  return stamps.get(db) ?? noStamp;
}
