import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { AUDIT_CHECKPOINT_FILE } from '../../audit/audit-checkpoint.ts';
import { checkpointAuditLog } from '../../audit/audit-checkpointer.ts';
import { AUDIT_KEY_FILE } from '../../audit/audit-key.ts';
import { AuditLog } from '../../audit/audit-log.ts';
import { readAuditHead } from '../../audit/audit.repo.ts';
import { createLogger } from '../../log/logger.ts';
import { openDatabase } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrate.ts';
import type { Db } from '../../store/schema.ts';
import { ManualClock } from '../../time/clock.ts';

const KEY_TEXT = 'cli-audit-test-key-0123456789-abcdefghijklmn';
const KEY = new TextEncoder().encode(KEY_TEXT);

describe('tide audit verify', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tide-audit-cli-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  /** The command on the data dir; the key comes from the data dir, as where `tide serve` generated it. */
  const verify = (...args: string[]) => runTideInProcess(['audit', 'verify', '--data-dir', dataDir, ...args]);

  /** Runs `fn` on a migrated SQLite store in the data dir, closed before the CLI opens it. */
  async function withStore<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    const store = await openDatabase({ dataDir });
    try {
      await migrateToLatest(store);
      return await fn(store.db);
    } finally {
      await store.close();
    }
  }

  async function record(db: Db, count: number): Promise<void> {
    const log = new AuditLog(db, new ManualClock('2027-03-15T06:00:00.000Z'), KEY);
    for (let i = 0; i < count; i++) {
      await log.record({
        actor: 'alice',
        action: 'workspace.deploy',
        target: 'workspace:web',
        result: 'success',
        sourceIp: null,
        requestId: null,
      });
    }
  }

  /** What the daemon's checkpoint loop leaves in the data dir. */
  async function checkpoint(db: Db): Promise<void> {
    await checkpointAuditLog({
      db,
      key: KEY,
      clock: new ManualClock('2027-03-15T06:01:00.000Z'),
      dataDir,
      logger: createLogger('silent'),
      headSequence: { set: () => undefined },
    });
  }

  beforeEach(() => writeFile(path.join(dataDir, AUDIT_KEY_FILE), `${KEY_TEXT}\n`, { mode: 0o600 }));

  it('exits 0 and counts the entries of an intact log that matches its checkpoint', async () => {
    await withStore(async (db) => {
      await record(db, 3);
      await checkpoint(db);
    });

    const result = await verify();
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(
      `audit log intact: 3 entries, matching entry 3 of ${path.join(dataDir, AUDIT_CHECKPOINT_FILE)}\n`,
    );
    expect(result.status).toBe(0);
  });

  it('exits 1 with one line per problem, naming the edited and the deleted entry', async () => {
    await withStore(async (db) => {
      await record(db, 3);
      await sql`update audit_log set actor = 'mallory' where id = 1`.execute(db);
      await sql`delete from audit_log where id = 2`.execute(db);
    });

    const result = await verify();
    expect(result.stdout.trim().split('\n')).toEqual([
      'modified: entry 1 was modified: its fields no longer match its hash',
      'deleted: entry 2 was deleted',
    ]);
    expect(result.stderr).toMatch(/tide: the audit log was tampered with: 2 problem\(s\) in 2 entries\n$/);
    expect(result.status).toBe(1);
  });

  it('exits 1 when the newest entries were deleted and the head moved back, naming the missing ones', async () => {
    await withStore(async (db) => {
      await record(db, 5);
      await checkpoint(db);
      const [three] = await db.selectFrom('audit_log').select('hash').where('id', '=', 3).execute();
      await sql`delete from audit_log where id > 3`.execute(db);
      await db.updateTable('audit_log_head').set({ last_id: 3, last_hash: three!.hash }).execute();
    });

    const result = await verify();
    expect(result.stdout.trim().split('\n')).toEqual([
      'truncated: the chain head (entry 3) is not signed by the audit key: it was moved outside Tide, so the entries after 3 were deleted (a checkpoint names how many)',
      `truncated: the log ends at entry 3, but ${path.join(dataDir, AUDIT_CHECKPOINT_FILE)} records entry 5: entries 4–5 were deleted`,
    ]);
    expect(result.status).toBe(1);
  });

  it('exits 1 on a wiped log (both tables emptied), naming what the checkpoint file records', async () => {
    await withStore(async (db) => {
      await record(db, 4);
      await checkpoint(db);
      await sql`delete from audit_log`.execute(db);
      await sql`delete from audit_log_head`.execute(db);
    });

    const result = await verify();
    expect(result.stdout).toBe(
      `wiped: the audit log is empty, but ${path.join(dataDir, AUDIT_CHECKPOINT_FILE)} records entry 4: the log was wiped (entries 1–4 were deleted)\n`,
    );
    expect(result.status).toBe(1);
  });

  it('compares with a --checkpoint copied from a log line, taking the key from TIDE_AUDIT_KEY', async () => {
    const head = await withStore(async (db) => {
      await record(db, 2);
      const atTwo = await readAuditHead(db);
      await sql`delete from audit_log`.execute(db);
      await sql`delete from audit_log_head`.execute(db);
      return atTwo!;
    });
    await rm(path.join(dataDir, AUDIT_KEY_FILE));

    const result = await runTideInProcess(
      ['audit', 'verify', '--data-dir', dataDir, '--checkpoint', `2:${head.lastHash}`],
      { env: { TIDE_AUDIT_KEY: KEY_TEXT } },
    );
    expect(result.stdout).toBe(
      'wiped: the audit log is empty, but --checkpoint 2 records entry 2: the log was wiped (entries 1–2 were deleted)\n',
    );
    expect(result.status).toBe(1);
  });

  it('says a wipe would not show when there is no checkpoint to compare with', async () => {
    await withStore((db) => record(db, 1));

    const result = await verify();
    expect(result.stdout).toBe('audit log intact: 1 entries\n');
    expect(result.stderr).toMatch(
      /^tide: no checkpoint to compare with .*pass --checkpoint <sequence>:<hash>/,
    );
    expect(result.status).toBe(0);
  });

  it('refuses to verify without the audit key, saying where it is looked for', async () => {
    await withStore((db) => record(db, 1));
    await rm(path.join(dataDir, AUDIT_KEY_FILE));

    const result = await verify();
    expect(result.stderr).toMatch(/^tide: no audit key to check the signatures with: set TIDE_AUDIT_KEY/);
    expect(result.status).toBe(2);
  });

  it('refuses a --checkpoint that is not <sequence>:<hash>', async () => {
    const result = await verify('--checkpoint', '42');
    expect(result.stderr).toMatch(/--checkpoint takes <sequence>:<hash>/);
    expect(result.status).toBe(2);
  });

  it('exits 5 and says so on a database that was never migrated', async () => {
    const result = await verify();
    expect(result.stderr).toMatch(/^tide: .*tide\.db has no audit log: it is not migrated/);
    expect(result.status).toBe(5);
  });
});
