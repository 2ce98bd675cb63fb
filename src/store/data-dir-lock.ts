/**
 * One `tide serve` per SQLite data directory (docs/decisions/014-data-directory-lock.md): a second
 * server on the same directory would schedule and reap against the first one's runs. The lock is SQLite's
 * own exclusive file lock on `<data>/serve.lock`, taken by a connection in EXCLUSIVE locking mode and
 * held until it closes. The kernel drops it when the process ends, even on kill -9, so it never goes
 * stale. `<data>/serve.owner` names the holder, for the refusal message only.
 */
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { TideError } from '../errors/tide-error.ts';
import { PRIVATE_FILE_MODE } from '../files/file-modes.ts';

export const LOCK_FILE = 'serve.lock';
export const OWNER_FILE = 'serve.owner';

export interface DataDirLock {
  /** Releases the lock; another server may then start on the directory. */
  release(): void;
}

/** Takes the lock on an existing data directory, or throws `conflict` naming the holder. */
export function lockDataDir(dataDir: string, now: Date): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  const owner = path.join(dataDir, OWNER_FILE);
  let lock: SqliteDatabase.Database | null = null;
  try {
    // No busy timeout: a held lock is refused at once rather than waited for.
    lock = new SqliteDatabase(file, { timeout: 0 });
    lock.pragma('locking_mode = EXCLUSIVE');
    // The write takes the exclusive lock; in EXCLUSIVE mode the connection keeps it after the commit.
    lock.exec(
      'BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY, pid INTEGER NOT NULL);',
    );
    lock.prepare('INSERT OR REPLACE INTO holder (id, pid) VALUES (1, ?)').run(process.pid);
    lock.exec('COMMIT');
  } catch (error) {
    lock?.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new TideError(
        'conflict',
        `data directory ${dataDir} is in use by another tide serve (${describeOwner(owner)}); stop it, or give this server its own --data-dir (several replicas share a PostgreSQL TIDE_DATABASE_URL instead)`,
        { details: { data_dir: dataDir }, cause: error },
      );
    }
    throw new TideError(
      'database_unavailable',
      `cannot lock the data directory ${dataDir}: ${(error as Error).message}`,
      {
        details: { data_dir: dataDir },
        cause: error,
      },
    );
  }
  chmodSync(file, PRIVATE_FILE_MODE);
  const holder = { pid: process.pid, host: hostname(), since: now.toISOString() };
  writeFileSync(owner, `${JSON.stringify(holder)}\n`, { mode: PRIVATE_FILE_MODE });
  const held = lock;
  return {
    release() {
      if (!held.open) return;
      rmSync(owner, { force: true });
      held.close();
    },
  };
}

/** `pid 4242 on host-a since 2027-06-01T07:00:00.000Z`, or what can be said without the owner file. */
function describeOwner(file: string): string {
  try {
    const { pid, host, since } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return `pid ${String(pid)} on ${String(host)} since ${String(since)}`;
  } catch {
    return 'its process id is unknown';
  }
}
