import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTide } from '../../../test/helpers/run-tide.ts';
import { AuditLog } from '../../audit/audit-log.ts';
import { openDatabase } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrate.ts';
import type { Db } from '../../store/schema.ts';
import { ManualClock } from '../../time/clock.ts';

/** The CLI must use the data dir given, whatever the developer's environment says. */
const ENV = { TIDE_DATABASE_URL: '', TIDE_DATA_DIR: '' };

describe('tide audit verify', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tide-audit-cli-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  /** Runs `fn` on a migrated SQLite store in the data dir, closed before the CLI opens it. */
  async function withStore(fn: (db: Db) => Promise<void>): Promise<void> {
    const store = await openDatabase({ dataDir });
    try {
      await migrateToLatest(store);
      await fn(store.db);
    } finally {
      await store.close();
    }
  }

  async function recordThree(db: Db): Promise<void> {
    const log = new AuditLog(db, new ManualClock('2027-03-15T06:00:00.000Z'));
    for (const action of ['workspace.deploy', 'workspace.plan', 'workspace.destroy']) {
      await log.record({
        actor: 'alice',
        action,
        target: 'workspace:web',
        result: 'success',
        sourceIp: null,
        requestId: null,
      });
    }
  }

  it('exits 0 and counts the entries of an intact log', async () => {
    await withStore(recordThree);

    const result = runTide(['audit', 'verify', '--data-dir', dataDir], ENV);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('audit log intact: 3 entries\n');
    expect(result.status).toBe(0);
  });

  it('exits 1 with one line per problem, naming the edited and the deleted entry', async () => {
    await withStore(async (db) => {
      await recordThree(db);
      await sql`update audit_log set actor = 'mallory' where id = 1`.execute(db);
      await sql`delete from audit_log where id = 2`.execute(db);
    });

    const result = runTide(['audit', 'verify', '--data-dir', dataDir], ENV);
    expect(result.stdout.trim().split('\n')).toEqual([
      'modified: entry 1 was modified: its fields no longer match its hash',
      'deleted: entry 2 was deleted',
    ]);
    expect(result.stderr).toBe('tide: the audit log was tampered with: 2 problem(s) in 2 entries\n');
    expect(result.status).toBe(1);
  });

  it('exits 5 and says so on a database that was never migrated', async () => {
    const result = runTide(['audit', 'verify', '--data-dir', dataDir], ENV);
    expect(result.stderr).toMatch(/^tide: .*tide\.db has no audit log: it is not migrated/);
    expect(result.status).toBe(5);
  });
});
