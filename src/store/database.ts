import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { TideError } from '../errors/tide-error.ts';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../files/file-modes.ts';
import type { DialectName } from './dialect.ts';
import type { Database, Db } from './schema.ts';
import { registerChangeStamp, sqliteChangeCounter } from './change-stamp.ts';
import { STATEMENT_CACHE_SIZE, TideSqliteDialect, withStatementCache } from './sqlite-dialect.ts';

type PgModule = typeof pg;

export interface Store {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where the data lives, safe to log: the SQLite file, or the PostgreSQL URL without its password. */
  location: string;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `postgres://` or `postgresql://`; unset or empty means SQLite at `<dataDir>/tide.db`. */
  url?: string | undefined;
  dataDir: string;
  /** How long to wait for a PostgreSQL connection before giving up (default 10 s). */
  connectTimeoutMs?: number;
  /**
   * Errors of idle pooled PostgreSQL connections (server restart, network cut). The pool replaces the
   * connection by itself; without a listener Node would crash the process on the pool's 'error' event.
   * Default: ignored, since the next query reports the problem.
   */
  onPoolError?: (error: Error) => void;
}

export const SQLITE_FILE = 'tide.db';
const SQLITE_BUSY_TIMEOUT_MS = 5000;

export async function openDatabase(options: OpenDatabaseOptions): Promise<Store> {
  const url = options.url?.trim();
  if (!url) return openSqlite(options.dataDir);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    // Only the scheme is echoed: the rest of the URL may hold a password.
    throw new TideError(
      'invalid_argument',
      `unsupported database URL scheme ${scheme ? `"${scheme}:"` : '(none)'}: use postgres:// or postgresql://, or leave the URL unset for SQLite`,
      { details: { scheme: scheme ?? null } },
    );
  }
  return openPostgres(url, options);
}

function openSqlite(dataDir: string): Store {
  const file = path.join(dataDir, SQLITE_FILE);
  let sqlite: SqliteDatabase.Database;
  try {
    mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    makePrivate(file);
    sqlite = new SqliteDatabase(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    // WAL lets readers run while one writer writes; NORMAL sync is durable in WAL mode except for the
    // last transactions before a power loss, never corrupting.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    sqlite.pragma('foreign_keys = ON');
  } catch (error) {
    throw new TideError(
      'database_unavailable',
      `cannot open the SQLite database ${file}: ${messageOf(error)}`,
      {
        details: { file },
        cause: error,
      },
    );
  }
  const changes = sqliteChangeCounter(sqlite);
  const db = new Kysely<Database>({
    dialect: new TideSqliteDialect({
      database: withStatementCache(sqlite, STATEMENT_CACHE_SIZE, changes.wrote),
    }),
  });
  registerChangeStamp(db, changes.stamp);
  return { db, dialect: 'sqlite', location: file, close: once(() => db.destroy()) };
}

/**
 * SQLite creates a database 0644 and gives its -wal and -shm files the database file's mode. Creating the
 * file 0600 first (and tightening it and its companions when an older version left them looser) keeps
 * all three readable by Tide's user only, whatever the process umask.
 */
function makePrivate(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const companion of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(companion)) chmodSync(companion, PRIVATE_FILE_MODE);
  }
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Store> {
  const target = describePostgresUrl(url);
  // Loaded only here: a SQLite server never needs the driver (decision 041, start-up and memory).
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: url,
    types: postgresTypes(pg),
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  pool.on('error', (error) => options.onPoolError?.(error));
  try {
    // Fail at startup with a clear message rather than at the first query.
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new TideError(
      'database_unavailable',
      `cannot connect to PostgreSQL at ${target}: ${messageOf(error)}`,
      {
        details: { target },
        cause: error,
      },
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', location: `postgres://${target}`, close: once(() => db.destroy()) };
}

/**
 * Per-pool type parsers (the global pg.types stays untouched, other code in the process may rely on it):
 * timestamptz comes back in the same ISO-8601 UTC form SQLite stores, and int8 (bigserial ids, counts)
 * as a number rather than a string.
 */
function postgresTypes(pg: PgModule): pg.CustomTypesConfig {
  const types = new pg.TypeOverrides();
  const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (value: string) => Date;
  types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (value: string) => {
    const date = parseTimestamptz(value);
    // 'infinity' has no ISO form; hand it through rather than throw inside the driver.
    return Number.isNaN(date.getTime()) ? value : date.toISOString();
  });
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => {
    const number = Number(value);
    if (!Number.isSafeInteger(number)) throw new RangeError(`int8 value ${value} does not fit a JS number`);
    return number;
  });
  return types;
}

/** `user@host:port/database`, never the password. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
    const host = parsed.hostname || 'localhost';
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
    return `${user}${host}:${parsed.port || '5432'}/${database}`;
  } catch {
    return '(unparseable URL)';
  }
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  return error instanceof Error && error.message ? error.message : String(error);
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= fn());
}

/** A round trip to the database (`select 1`): what readiness probes ask, with their own timeout. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
