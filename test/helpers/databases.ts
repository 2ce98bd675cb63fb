import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { openDatabase, type OpenDatabaseOptions, type Store } from '../../src/store/database.ts';
import type { DialectName } from '../../src/store/dialect.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import type { Db } from '../../src/store/schema.ts';

/** What a dialect's describe block gets: a migrated store plus ways to make more databases. */
export interface DialectHarness {
  readonly dialect: DialectName;
  /** This block's migrated store, emptied before each test. */
  readonly store: Store;
  readonly db: Db;
  /** Options for openDatabase on a brand-new, empty, unmigrated database, removed after the block. */
  freshDatabase(): Promise<OpenDatabaseOptions>;
  /** Opens a store that is closed after the block. */
  open(options: OpenDatabaseOptions): Promise<Store>;
}

const TABLES_CHILD_FIRST = [
  'overrides',
  'reminders_sent',
  'workspace_ttl',
  'login_failures',
  'api_tokens',
  'refresh_tokens',
  'refresh_token_families',
  'oidc_identities',
  'users',
  'run_log_chunks',
  'run_waits',
  'job_chain_runs',
  'job_chains',
  'job_startup_marker',
  'runs',
  'firings',
  'workspace_status',
  'scheduler_checkpoints',
  'audit_log',
  'audit_log_head',
  'rate_limits',
  'workspace_secrets',
  'state_locks',
  'state_versions',
  'templates',
  'environment_switches',
  'environment_assignments',
  'backups',
  'notification_deliveries',
  'notification_outbox',
] as const;

/**
 * Declares the same tests against real SQLite and real PostgreSQL ("one store, two dialects, one test
 * suite"). PostgreSQL comes from TIDE_TEST_DATABASE_URL (scripts/test-postgres.sh start); each block
 * creates its own databases on that server, so test files run in parallel without sharing rows.
 */
export function forEachDialect(name: string, fn: (harness: DialectHarness) => void): void {
  describe(`${name} [sqlite]`, () => {
    const harness = new Harness('sqlite', sqliteDatabases());
    harness.registerHooks();
    fn(harness);
  });

  const url = process.env.TIDE_TEST_DATABASE_URL;
  if (!url && isCi()) {
    describe(`${name} [postgres]`, () => {
      it('cannot run: CI must provide PostgreSQL', () => {
        throw new Error(
          'CI must provide PostgreSQL: set TIDE_TEST_DATABASE_URL, e.g. eval "$(scripts/test-postgres.sh start >&2; scripts/test-postgres.sh env)"',
        );
      });
    });
    return;
  }
  if (!url) {
    describe.skip(`${name} [postgres] — skipped: TIDE_TEST_DATABASE_URL is not set (scripts/test-postgres.sh start)`, () => {
      fn(new Harness('postgres', postgresDatabases('postgres://unset')));
    });
    return;
  }
  describe(`${name} [postgres]`, () => {
    const harness = new Harness('postgres', postgresDatabases(url));
    harness.registerHooks();
    fn(harness);
  });
}

/** CI providers set CI=true (or 1); CI=false or an empty value means a developer machine. */
function isCi(): boolean {
  const ci = process.env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
}

interface DatabaseFactory {
  create(): Promise<OpenDatabaseOptions>;
  removeAll(): Promise<void>;
}

class Harness implements DialectHarness {
  readonly #stores: Store[] = [];
  #main: Store | undefined;

  constructor(
    readonly dialect: DialectName,
    private readonly databases: DatabaseFactory,
  ) {}

  get store(): Store {
    if (!this.#main) throw new Error(`the ${this.dialect} store is not open yet (use it inside a test)`);
    return this.#main;
  }

  get db(): Db {
    return this.store.db;
  }

  freshDatabase(): Promise<OpenDatabaseOptions> {
    return this.databases.create();
  }

  async open(options: OpenDatabaseOptions): Promise<Store> {
    const store = await openDatabase(options);
    this.#stores.push(store);
    return store;
  }

  registerHooks(): void {
    beforeAll(async () => {
      this.#main = await this.open(await this.freshDatabase());
      await migrateToLatest(this.#main);
    });
    beforeEach(async () => {
      for (const table of TABLES_CHILD_FIRST) await this.store.db.deleteFrom(table).execute();
    });
    afterAll(async () => {
      await Promise.all(this.#stores.map((store) => store.close()));
      await this.databases.removeAll();
    });
  }
}

function sqliteDatabases(): DatabaseFactory {
  let root: string | undefined;
  return {
    async create() {
      root ??= await mkdtemp(path.join(tmpdir(), 'tide-test-'));
      return { dataDir: await mkdtemp(path.join(root, 'db-')) };
    },
    async removeAll() {
      if (root) await rm(root, { recursive: true, force: true });
    },
  };
}

function postgresDatabases(maintenanceUrl: string): DatabaseFactory {
  const created: string[] = [];
  const withMaintenance = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: maintenanceUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  return {
    async create() {
      const name = `tide_test_${randomBytes(6).toString('hex')}`;
      await withMaintenance(`CREATE DATABASE ${name}`);
      created.push(name);
      const url = new URL(maintenanceUrl);
      url.pathname = `/${name}`;
      return { url: url.toString(), dataDir: tmpdir() };
    },
    async removeAll() {
      // FORCE: a child process or pool that has not disconnected yet must not keep the database alive.
      for (const name of created) await withMaintenance(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
