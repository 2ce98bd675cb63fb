import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { schemaSnapshot } from '../../test/helpers/schema-snapshot.ts';
import type { OpenDatabaseOptions } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { migrations } from './migrations/index.ts';

const migrateOnce = fileURLToPath(new URL('../../test/helpers/migrate-once.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const allMigrations = migrations.map(([name]) => name);

interface ChildResult {
  exitCode: number | null;
  output: { applied?: string[]; error?: { code: string; message: string } };
  stderr: string;
}

/** Starts a migrate-once child and resolves `ready` once it has opened the database. */
function startMigrator(options: OpenDatabaseOptions) {
  const child = spawn(process.execPath, ['--import', 'tsx', migrateOnce, JSON.stringify(options)], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const lines = createInterface({ input: child.stdout });
  const received: string[] = [];
  let onLine: (() => void) | undefined;
  lines.on('line', (line) => {
    received.push(line);
    onLine?.();
  });
  const ready = new Promise<void>((resolve, reject) => {
    onLine = () => received.includes('ready') && resolve();
    child.once('exit', (code) => reject(new Error(`migrator exited (${code}) before ready: ${stderr}`)));
  });
  const done = new Promise<ChildResult>((resolve) => {
    child.once('exit', (exitCode) => {
      const last = received.filter((line) => line !== 'ready').at(-1) ?? '{}';
      resolve({ exitCode, output: JSON.parse(last) as ChildResult['output'], stderr });
    });
  });
  return { ready, done, go: () => child.stdin.end('go\n') };
}

forEachDialect('migrations', (harness) => {
  it('apply nothing the second time and leave the schema unchanged', async () => {
    const store = await harness.open(await harness.freshDatabase());
    expect(await migrateToLatest(store)).toEqual({ applied: allMigrations });
    const before = await schemaSnapshot(store);
    expect(await migrateToLatest(store)).toEqual({ applied: [] });
    expect(await schemaSnapshot(store)).toEqual(before);
  });

  it('create every table and the one-running-run-per-workspace index', async () => {
    const snapshot = (await schemaSnapshot(harness.store)).join('\n');
    for (const table of ['workspace_status', 'firings', 'runs', 'run_log_chunks']) {
      expect(snapshot).toContain(harness.dialect === 'sqlite' ? `table ${table}:` : `column ${table}.`);
    }
    expect(snapshot).toMatch(/runs_one_running_per_lock_key.*UNIQUE.*lock_key.*WHERE.*state.*=.*'running'/i);
  });

  it('succeed when two processes migrate the same fresh database at once, applying each migration once', async () => {
    const options = await harness.freshDatabase();
    const first = startMigrator(options);
    const second = startMigrator(options);
    await Promise.all([first.ready, second.ready]);
    first.go();
    second.go();
    const results = await Promise.all([first.done, second.done]);

    for (const result of results) expect(result, result.stderr).toMatchObject({ exitCode: 0 });
    const applied = results.flatMap((result) => result.output.applied ?? []);
    expect(applied.sort()).toEqual([...allMigrations].sort());

    const store = await harness.open(options);
    const recorded = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      store.db,
    );
    expect(recorded.rows.map((row) => row.name)).toEqual(allMigrations);
    expect(await schemaSnapshot(store)).toEqual(await schemaSnapshot(harness.store));
  });

  it('round-trip instants as ISO-8601 UTC strings with milliseconds and integers as numbers', async () => {
    const at = '2025-10-26T01:30:00.123Z';
    await harness.db
      .insertInto('firings')
      .values({
        workspace: 'demo',
        schedule_key: 'uptime',
        action: 'deploy',
        mode: null,
        scheduled_at: at,
        outcome: 'fired',
        reason: null,
        run_id: null,
        recorded_at: '2025-10-26T01:30:01.000Z',
      })
      .execute();
    const row = await harness.db
      .selectFrom('firings')
      .select(['id', 'scheduled_at', (eb) => eb.fn.countAll().over().as('total')])
      .executeTakeFirstOrThrow();
    expect(row.scheduled_at).toBe(at);
    expect(typeof row.id).toBe('number');
    expect(row.total).toBe(1);
  });
});

describe('migrateToLatest', () => {
  it('exports migrations in apply order', () => {
    expect(allMigrations).toEqual([...allMigrations].sort());
  });
});
