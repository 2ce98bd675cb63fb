import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Reminder } from '../../src/workspace/reminders.ts';
import { daemonHarness, markerWorkspaceTf, type DaemonHarness } from '../helpers/daemon-harness.ts';

const harnesses: DaemonHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
});

async function start(config: object, at: string, sent: Reminder[]) {
  const h = await daemonHarness({}, at, {
    publicUrl: 'https://tide.example.com',
    reminderSink: async (_trx, reminder) => {
      sent.push(reminder);
    },
  });
  harnesses.push(h);
  h.write('workspaces/web/main.tf', markerWorkspaceTf(h.sideEffects));
  h.write('workspaces/web/config.json', { enabled: true, ...config });
  await h.restart();
  return h;
}

const marker = (h: DaemonHarness) => path.join(h.sideEffects, 'web.up');
const summary = (reminders: Reminder[]) =>
  reminders.map((r) => ({ at: r.destroyAt.toISOString(), lead: r.leadMs / 60_000, kind: r.kind }));

async function deployWithTtl(h: DaemonHarness, ttl?: string) {
  const queued = await h.api('POST', '/api/v1/workspaces/web/deploy', ttl === undefined ? {} : { ttl });
  expect(queued.status).toBe(202);
  return h.finished(queued.body.id);
}

describe('TTL with the real engine', () => {
  it('a 2 h TTL deploy sends reminders at the set times (recorded by the sink) and is destroyed at the end (trigger ttl)', async () => {
    const sent: Reminder[] = [];
    const h = await start({}, '2027-06-01T10:00:00Z', sent);
    expect(await deployWithTtl(h, '2h')).toMatchObject({
      state: 'succeeded',
      trigger: 'api',
      ttl_seconds: 7200,
    });
    expect(existsSync(marker(h))).toBe(true);
    // The 2 h lead is already reached at the deploy's success: it goes out at once.
    await h.daemon.reminders!.pass();
    expect(summary(sent)).toEqual([{ at: '2027-06-01T12:00:00.000Z', lead: 120, kind: 'ttl' }]);
    expect(sent[0]!.extendUrl).toBe('https://tide.example.com/workspaces/web');
    h.clock.set('2027-06-01T11:44:59Z');
    await h.daemon.reminders!.pass();
    expect(sent).toHaveLength(1);
    h.clock.set('2027-06-01T11:45:00Z');
    const next = await h.daemon.reminders!.pass();
    await h.daemon.reminders!.pass();
    expect(summary(sent)).toEqual([
      { at: '2027-06-01T12:00:00.000Z', lead: 120, kind: 'ttl' },
      { at: '2027-06-01T12:00:00.000Z', lead: 15, kind: 'ttl' },
    ]);
    expect(next).toBeNull();

    h.clock.set('2027-06-01T11:59:59Z');
    await h.daemon.scheduler!.tick();
    expect((await h.api('GET', '/api/v1/runs')).body.items).toHaveLength(1);
    h.clock.set('2027-06-01T12:00:00Z');
    const destroyed = h.nextFinished();
    await h.daemon.scheduler!.tick();
    expect(await destroyed).toMatchObject({ action: 'destroy', state: 'succeeded', trigger: 'ttl' });
    expect(existsSync(marker(h))).toBe(false);
    const firings = (await h.api('GET', '/api/v1/workspaces/web/firings')).body.items;
    expect(firings).toMatchObject([
      { schedule_key: 'ttl', scheduled_at: '2027-06-01T12:00:00.000Z', outcome: 'fired' },
    ]);
  });

  it('destroys at the end exactly once when Tide restarts in the middle of the TTL', async () => {
    const h = await start({ ttl: '3h' }, '2027-06-01T10:00:00Z', []);
    expect(await deployWithTtl(h)).toMatchObject({ state: 'succeeded', ttl_seconds: null });
    await h.restart('2027-06-01T12:00:00Z');
    await h.daemon.scheduler!.tick();
    expect((await h.api('GET', '/api/v1/runs')).body.items).toHaveLength(1);
    // Down over the end: the destroy happens when Tide is back, once.
    await h.restart('2027-06-01T13:30:00Z');
    const ttlRun = (await h.api('GET', '/api/v1/runs?trigger=ttl')).body.items[0];
    expect(ttlRun).toMatchObject({ action: 'destroy', trigger: 'ttl' });
    // Listening first, then reading: the run may have ended while the daemon started.
    const ended = h.finished(ttlRun.id).catch(() => null);
    const now = (await h.api('GET', `/api/v1/runs/${ttlRun.id}`)).body;
    const run = now.state === 'queued' || now.state === 'running' ? await ended : now;
    expect(run).toMatchObject({ action: 'destroy', state: 'succeeded', trigger: 'ttl' });
    await h.restart('2027-06-01T14:00:00Z');
    await h.daemon.scheduler!.tick();
    const runs = (await h.api('GET', '/api/v1/runs')).body.items;
    expect(runs.map((r: { trigger: string }) => r.trigger)).toEqual(['ttl', 'api']);
    expect(existsSync(marker(h))).toBe(false);
  });
});
