import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';
import { LruMap } from './lru-map.ts';

/** Distinct SQL texts whose prepared statements are kept (the least recently used one goes first). */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 as Kysely sees it, with prepared statements kept by SQL text: Kysely prepares every
 * query anew, which was a large part of a cheap request. Safe because better-sqlite3 is synchronous (a
 * statement is done before the next query starts; one still busy, iterating, is never handed out) and
 * SQLite re-prepares a statement by itself when a migration changes the schema.
 */
export function withStatementCache(
  sqlite: BetterSqlite3.Database,
  size = STATEMENT_CACHE_SIZE,
  onWrite: () => void = () => {},
): SqliteDatabase {
  const statements = new LruMap<string, BetterSqlite3.Statement>(size);
  // Kysely prepares every statement right before it runs it, once: preparing a writing one is writing.
  const prepared = (statement: BetterSqlite3.Statement) => {
    if (!statement.readonly) onWrite();
    return statement;
  };
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached && !cached.busy) return prepared(cached);
      const statement = sqlite.prepare(sql);
      statements.set(sql, statement);
      return prepared(statement);
    },
  };
}

/**
 * Kysely's SQLite dialect with two changes that make one SQLite file safe to share between processes
 * (two `tide` commands, or a CLI next to `tide serve`).
 */
export class TideSqliteDialect extends SqliteDialect {
  // SqliteDialect keeps its config private, so the subclass keeps its own copy.
  readonly #driverConfig: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#driverConfig = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#driverConfig);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/**
 * A plain BEGIN is deferred: it takes the write lock only at the first write. Two processes that both
 * read and then write would each hold a read snapshot and one would fail with SQLITE_BUSY at once (the
 * busy timeout cannot help a stale snapshot). BEGIN IMMEDIATE takes the write lock up front, so the
 * second transaction waits (busy_timeout) and then sees the first one's writes: on SQLite the transaction
 * itself is the row lock that `FOR UPDATE` gives on PostgreSQL.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite runs DDL inside transactions. Saying so makes Kysely's Migrator run every pending migration in
 * one (immediate) transaction, which is the cross-process migration lock: Kysely's SQLite
 * acquireMigrationLock is a no-op because it assumes one process.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}
