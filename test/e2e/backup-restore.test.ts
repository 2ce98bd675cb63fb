/**
 * Issue 11's "done when" for backups: data made by a real Tide on SQLite (runs with their logs and state
 * versions from the real engine, users, tokens, sessions, audit entries) is backed up, verified, restored
 * into a fresh PostgreSQL database (how a user moves to HA), and every table matches row for row; Tide
 * starts on it and serves the same data; `tide audit verify` passes with the key supplied the way an
 * operator does (TIDE_AUDIT_KEY: keys are never in a backup). A damaged archive is refused by verify and
 * restore naming the bad file; a non-empty database is refused without --force.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { listTables } from '../../src/backup/backup.repo.ts';
import { openDatabase, type Store } from '../../src/store/database.ts';
import type { Db } from '../../src/store/schema.ts';
import { daemonHarness, markerWorkspaceTf, type DaemonHarness } from '../helpers/daemon-harness.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { runTideInProcess } from '../helpers/run-cli.ts';

const PASSWORD = 'correct horse battery staple 42';

forEachDialect('backup of a SQLite installation restored into PostgreSQL', (harness) => {
  const onPostgres = it.runIf(harness.dialect === 'postgres');
  const onSqlite = it.runIf(harness.dialect === 'sqlite');
  const harnesses: DaemonHarness[] = [];
  const stores: Store[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const scratch = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tide-backup-e2e-'));
    dirs.push(dir);
    return dir;
  };

  onPostgres(
    'restores every table row for row, serves the same data and keeps the audit chain verifiable; refuses damaged archives and non-empty databases',
    async () => {
      const markers = scratch();
      const files = {
        'workspaces/web/config.json': { enabled: true },
        'workspaces/web/main.tf': markerWorkspaceTf(markers),
      };
      const start = '2027-06-01T07:00:00Z';
      // The keys an operator keeps outside the database, and hands the restored server again.
      const encryptionKey = randomBytes(32);
      const keys = {
        encryptionKey,
        jwtSecret: randomBytes(32).toString('base64'),
        auditKey: randomBytes(48).toString('base64'),
      };
      const cliEnv = { TIDE_ENCRYPTION_KEY: encryptionKey.toString('hex'), TIDE_AUDIT_KEY: keys.auditKey };

      // 1. Data on SQLite, made by the real daemon and engine.
      const source = await daemonHarness(files, start, keys);
      harnesses.push(source);
      const deploy = await source.api('POST', '/api/v1/workspaces/web/deploy', {});
      expect(await source.finished(deploy.body.id)).toMatchObject({ state: 'succeeded' });
      const user = await source.api('POST', '/api/v1/users', {
        username: 'bob',
        password: PASSWORD,
        role: 'operator',
        workspaces: ['web'],
      });
      expect(user.status).toBe(201);
      const login = await source.daemon.app!.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'bob', password: PASSWORD },
      });
      expect(login.statusCode).toBe(200);
      const token = await source.api('POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' });
      expect(token.status).toBe(201);
      const sourceView = await servedView(source, deploy.body.id);
      await source.daemon.close(2000);

      const sourceStore = await openDatabase({ dataDir: source.dataDir });
      stores.push(sourceStore);
      const counts = await rowCounts(sourceStore.db);
      for (const table of [
        'runs',
        'run_log_chunks',
        'state_versions',
        'users',
        'api_tokens',
        'refresh_tokens',
        'audit_log',
      ]) {
        expect(counts[table], table).toBeGreaterThan(0);
      }

      // 2. Back up and verify.
      const work = scratch();
      const archive = path.join(work, 'tide.tar');
      const created = await runTideInProcess(
        [
          'backup',
          'create',
          '--output',
          archive,
          '--data-dir',
          source.dataDir,
          '--config-dir',
          source.configDir,
        ],
        { env: cliEnv },
      );
      expect(created).toMatchObject({ status: 0, stderr: '' });
      expect(created.stdout).toContain(`backup written: ${archive}`);
      const verified = await runTideInProcess(['backup', 'verify', archive], { env: cliEnv });
      expect(verified).toMatchObject({ status: 0, stderr: '' });
      expect(verified.stdout).toContain('backup ok');
      // Keys are never in the archive: not the encryption key, not the audit key, not the JWT secret.
      const bytes = readFileSync(archive);
      for (const secret of [
        encryptionKey.toString('hex'),
        encryptionKey.toString('base64'),
        keys.auditKey,
        keys.jwtSecret,
      ]) {
        expect(bytes.includes(Buffer.from(secret))).toBe(false);
      }

      // 3. A damaged archive (one byte of one table file flipped) is refused by verify and by restore.
      const damaged = path.join(work, 'damaged.tar');
      writeFileSync(damaged, flipByteOf(bytes, 'tables/runs.jsonl'));
      const target = await harness.freshDatabase();
      const badVerify = await runTideInProcess(['backup', 'verify', damaged], { env: cliEnv });
      expect(badVerify.status).toBe(2);
      expect(badVerify.stderr).toContain('tables/runs.jsonl: checksum mismatch');
      const badRestore = await runTideInProcess(
        ['backup', 'restore', damaged, '--database-url', target.url!],
        {
          env: cliEnv,
        },
      );
      expect(badRestore.status).toBe(2);
      expect(badRestore.stderr).toContain('tables/runs.jsonl: checksum mismatch');

      // 4. Restore into the fresh (unmigrated) PostgreSQL database: every table row for row.
      const restored = await runTideInProcess(['backup', 'restore', archive, '--database-url', target.url!], {
        env: cliEnv,
      });
      expect(restored).toMatchObject({ status: 0, stderr: '' });
      const targetStore = await harness.open(target);
      expect(await listTables(targetStore.db)).toEqual(
        expect.arrayContaining((await listTables(sourceStore.db)).filter((t) => t !== 'backups')),
      );
      await expectSameRows(sourceStore.db, targetStore.db);

      // 5. Not into a database that holds data, unless --force (which replaces it, in one transaction).
      const again = await runTideInProcess(['backup', 'restore', archive, '--database-url', target.url!], {
        env: cliEnv,
      });
      expect(again.status).toBe(4);
      expect(again.stderr).toMatch(/is not empty \(.*runs: 1 rows/);
      const forced = await runTideInProcess(
        ['backup', 'restore', archive, '--database-url', target.url!, '--force'],
        { env: cliEnv },
      );
      expect(forced).toMatchObject({ status: 0, stderr: '' });
      await expectSameRows(sourceStore.db, targetStore.db);

      // 6. Tide starts on PostgreSQL with the operator's keys (a new data directory: nothing carried
      // over but the archive) and serves the same runs, logs, state and users.
      const restoredTide = await daemonHarness(files, start, { ...keys, databaseUrl: target.url });
      harnesses.push(restoredTide);
      expect(await servedView(restoredTide, deploy.body.id)).toEqual(sourceView);
      const bob = await restoredTide.daemon.app!.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'bob', password: PASSWORD },
      });
      expect(bob.statusCode).toBe(200);
      // The engine finds its state in the restored database (a destroy, not a fresh create), and the new
      // state version takes an id after the restored ones (the sequences moved on).
      const destroy = await restoredTide.api('POST', '/api/v1/workspaces/web/destroy', {});
      expect(await restoredTide.finished(destroy.body.id)).toMatchObject({
        state: 'succeeded',
        plan_summary: { add: 0, change: 0, destroy: 1 },
      });
      const versions = await restoredTide.api('GET', '/api/v1/workspaces/web/state');
      expect(versions.body.versions.length).toBe(sourceView.stateVersions.length + 1);
      await restoredTide.daemon.close(2000);

      // 7. The audit chain still verifies, with the key given as an operator gives it.
      const audit = await runTideInProcess(
        ['audit', 'verify', '--database-url', target.url!, '--data-dir', restoredTide.dataDir],
        { env: { TIDE_AUDIT_KEY: keys.auditKey } },
      );
      expect(audit.stdout).toContain('audit log intact');
      expect(audit.status).toBe(0);
    },
    300_000,
  );

  onSqlite(
    'takes a scheduled backup in tide serve at start when none exists, and reports it in the metric',
    async () => {
      const dir = scratch();
      const start = '2027-06-01T07:00:00Z';
      const h = await daemonHarness({}, start, { backup: { schedule: '0 3 * * *', dir, retain: 3 } });
      harnesses.push(h);
      // The loop reports up once its first pass, the catch-up backup, is done.
      await new Promise<void>((resolve) => {
        const isUp = () =>
          h.daemon.supervisor.health().some((s) => s.name === 'scheduled-backup' && s.state === 'up');
        if (isUp()) return resolve();
        const listener = () => {
          if (!isUp()) return;
          h.daemon.supervisor.off('change', listener);
          resolve();
        };
        h.daemon.supervisor.on('change', listener);
      });
      const archives = readdirSync(dir);
      expect(archives).toEqual(['tide-backup-2027-06-01T07-00-00-000Z.tar']);
      const verified = await runTideInProcess(['backup', 'verify', path.join(dir, archives[0]!)]);
      expect(verified.status).toBe(0);
      const scraped = await h.daemon.metrics.registry.getSingleMetricAsString(
        'tide_backup_last_success_timestamp_seconds',
      );
      expect(scraped).toContain(`tide_backup_last_success_timestamp_seconds ${Date.parse(start) / 1000}`);
    },
  );
});

/** What a client sees of the data: the run, its log, the workspace's state versions, the users. */
async function servedView(
  h: DaemonHarness,
  runId: string,
): Promise<{ stateVersions: unknown[] } & Record<string, unknown>> {
  const run = await h.api('GET', `/api/v1/runs/${runId}`);
  const logs = await h.api('GET', `/api/v1/runs/${runId}/logs?limit=1000`);
  const state = await h.api('GET', '/api/v1/workspaces/web/state');
  const users = await h.api('GET', '/api/v1/users');
  return {
    run: run.body,
    logs: logs.body.items,
    stateVersions: state.body.versions,
    users: users.body.items.map((u: { username: string; role: string }) => [u.username, u.role]),
  };
}

async function rowCounts(db: Db): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of await listTables(db)) {
    const rows = await db
      .selectFrom(table as 'runs')
      .selectAll()
      .execute();
    counts[table] = rows.length;
  }
  return counts;
}

/** Every table of the source (but `backups`, which describes backups of that database) row for row. */
async function expectSameRows(source: Db, target: Db): Promise<void> {
  for (const table of await listTables(source)) {
    if (table === 'backups') continue;
    const [a, b] = await Promise.all([sortedRows(source, table), sortedRows(target, table)]);
    expect(b, table).toEqual(a);
  }
}

async function sortedRows(db: Db, table: string): Promise<string[]> {
  const rows = await db
    .selectFrom(table as 'runs')
    .selectAll()
    .execute();
  return rows.map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).sort()))).sort();
}

/** The archive with one byte flipped inside the named entry's content (found by its tar header). */
function flipByteOf(archive: Buffer, name: string): Buffer {
  const copy = Buffer.from(archive);
  for (let offset = 0; offset + 512 <= copy.length;) {
    const entry = copy
      .subarray(offset, offset + 100)
      .toString('utf8')
      .replace(/\0.*$/s, '');
    const size = parseInt(copy.subarray(offset + 124, offset + 136).toString('ascii'), 8);
    if (entry === name) {
      copy[offset + 512 + Math.floor(size / 2)]! ^= 0x01;
      return copy;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${name} is not in the archive`);
}
