import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { workspaceFiles } from '../../test/helpers/config-dir.ts';
import { schedulerHarness, type SchedulerHarness } from '../../test/helpers/scheduler-harness.ts';
import { listFirings } from '../schedule/firing.repo.ts';
import { listRuns } from '../run/run.repo.ts';
import { inTransaction } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { applyTtlEffect, getTtl } from '../workspace/ttl.repo.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(db: Db, config: object, start: string): Promise<SchedulerHarness> {
  const harness = await schedulerHarness(db, workspaceFiles('web', { enabled: true, ...config }), start);
  cleanups.push(harness.cleanup);
  return harness;
}

function flagDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-check-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { flag: path.join(dir, 'ok'), pass: () => writeFileSync(path.join(dir, 'ok'), '') };
}

/** A real HTTP receiver whose answer the test sets. */
async function statusServer(): Promise<{ url: string; answer: (status: number) => void }> {
  let status = 503;
  const server: Server = createServer((_req, res) => res.writeHead(status).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/ready`, answer: (next) => (status = next) };
}

async function ledger(db: Db) {
  const { items } = await listFirings(db, { workspace: 'web', limit: 100 });
  return items
    .map((f) => ({ key: f.schedule_key, at: f.scheduled_at, outcome: f.outcome, reason: f.reason }))
    .reverse();
}
const runsOf = async (db: Db) => (await listRuns(db, { limit: 100 })).items.reverse();

forEachDialect('pre-destroy check', (harness) => {
  const db = () => harness.db;

  it('holds a scheduled destroy whose command check fails (skipped, reason pre_destroy_check) and fires the next once it passes', async () => {
    const { flag, pass } = flagDir();
    const h = await setup(
      db(),
      { destroy_schedule: '0 19 * * *', pre_destroy_check: { command: `test -f ${flag}`, timeout: '10s' } },
      '2027-06-01T18:59:00Z',
    );
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, h.clock.now());
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T19:00:00Z');
    await s.tick();
    expect(await ledger(db())).toEqual([
      {
        key: 'destroy_schedule:0 19 * * *',
        at: '2027-06-01T19:00:00.000Z',
        outcome: 'skipped',
        reason: 'pre_destroy_check: test → exit 1',
      },
    ]);
    expect(await runsOf(db())).toEqual([]);
    pass();
    h.clock.set('2027-06-02T19:00:00Z');
    await s.tick();
    expect((await ledger(db()))[1]).toMatchObject({ outcome: 'fired', reason: null });
    expect((await runsOf(db()))[0]).toMatchObject({ action: 'destroy', trigger: 'schedule' });
    await s.stop();
  });

  it('keeps a window workspace up while its HTTP check fails, and takes it down at the first reconcile after it passes', async () => {
    const server = await statusServer();
    const h = await setup(
      db(),
      { uptime: [{ from: '08:00', to: '19:00' }], pre_destroy_check: { http: server.url, timeout: '5s' } },
      '2027-06-01T18:59:00Z',
    );
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, new Date('2027-06-01T08:01:00Z'));
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T19:00:00Z');
    await s.tick();
    const reason = `pre_destroy_check: GET ${server.url} → 503`;
    expect(await ledger(db())).toEqual([
      { key: 'uptime[0]', at: '2027-06-01T19:00:00.000Z', outcome: 'skipped', reason },
      {
        key: 'reconcile:uptime:pre_destroy_check',
        at: '2027-06-01T19:00:00.000Z',
        outcome: 'skipped',
        reason,
      },
    ]);
    // Asked again at each reconcile; the held destroy is recorded once.
    h.clock.set('2027-06-01T19:01:00Z');
    await s.tick();
    expect(await ledger(db())).toHaveLength(2);
    expect(await runsOf(db())).toEqual([]);
    server.answer(204);
    h.clock.set('2027-06-01T19:02:00Z');
    await s.tick();
    expect((await ledger(db()))[2]).toMatchObject({ key: 'reconcile:uptime', outcome: 'fired' });
    expect((await runsOf(db()))[0]).toMatchObject({ action: 'destroy', trigger: 'window' });
    await s.stop();
  });

  it('holds a TTL destroy while the check fails, keeping the TTL, and destroys (trigger ttl) once it passes', async () => {
    const { flag, pass } = flagDir();
    const h = await setup(
      db(),
      { pre_destroy_check: { command: `test -f ${flag}` } },
      '2027-06-01T10:00:00Z',
    );
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, h.clock.now());
    const end = new Date('2027-06-01T12:00:00Z');
    await inTransaction(db(), (trx) =>
      applyTtlEffect(trx, { id: 'run-1', workspace: 'web' }, { kind: 'set', destroyAt: end }, h.clock.now()),
    );
    const s = h.newScheduler();
    await s.start();
    // It sleeps until the TTL's end, not a minute more.
    h.clock.set('2027-06-01T11:59:00Z');
    await s.tick();
    expect(h.timers.lastDelayMs).toBe(60_000);
    h.clock.set(end.toISOString());
    await s.tick();
    expect(await ledger(db())).toEqual([
      {
        key: 'ttl:pre_destroy_check',
        at: end.toISOString(),
        outcome: 'skipped',
        reason: 'pre_destroy_check: test → exit 1',
      },
    ]);
    expect(await getTtl(db(), 'web')).toMatchObject({ destroyAt: end });
    pass();
    h.clock.set('2027-06-01T12:01:00Z');
    await s.tick();
    expect((await ledger(db()))[1]).toMatchObject({ key: 'ttl', at: end.toISOString(), outcome: 'fired' });
    expect((await runsOf(db()))[0]).toMatchObject({ action: 'destroy', trigger: 'ttl' });
    // The firing ended the TTL in its transaction: nothing fires twice.
    expect(await getTtl(db(), 'web')).toBeNull();
    await s.stop();
  });

  it('with enforce, takes a manual deploy outside the window down at once: a running TTL does not keep it up', async () => {
    const h = await setup(
      db(),
      { uptime: [{ from: '08:00', to: '19:00' }], enforce: true },
      '2027-06-01T20:01:00Z',
    );
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, new Date('2027-06-01T20:00:00Z'));
    await inTransaction(db(), (trx) =>
      applyTtlEffect(
        trx,
        { id: 'run-1', workspace: 'web' },
        { kind: 'set', destroyAt: new Date('2027-06-01T23:00:00Z') },
        h.clock.now(),
      ),
    );
    const s = h.newScheduler();
    await s.start();
    const [destroy] = await runsOf(db());
    expect(destroy).toMatchObject({ action: 'destroy', trigger: 'window' });
    // While that destroy (queued) holds the workspace, the TTL waits; it is not recorded.
    h.clock.set('2027-06-01T23:00:00Z');
    await s.tick();
    expect((await ledger(db())).map((f) => f.key)).toEqual(['reconcile:uptime']);
    await s.stop();
  });
});
