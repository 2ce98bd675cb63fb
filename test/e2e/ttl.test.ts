import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonHarness, markerWorkspaceTf, type DaemonHarness } from '../helpers/daemon-harness.ts';

const harnesses: DaemonHarness[] = [];
const servers: SMTPServer[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A real SMTP server (smtp-server from npm): each mail received, and a wait for the n-th. */
async function smtpServer() {
  const mails: string[] = [];
  const waiters: Array<() => void> = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        // Quoted-printable bodies wrap long lines with soft breaks: joined, the text reads as sent.
        mails.push(Buffer.concat(chunks).toString('utf8').replace(/=\r\n/g, ''));
        waiters.splice(0).forEach((wake) => wake());
        callback();
      });
    },
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  const received = async (count: number): Promise<string[]> => {
    while (mails.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return mails;
  };
  return { port, received };
}

async function start(config: object, at: string, smtpPort = 9) {
  const h = await daemonHarness({}, at, { publicUrl: 'https://tide.example.com', notifyAllowPrivate: true });
  harnesses.push(h);
  h.write('notifications.yaml', { smtp: { host: '127.0.0.1', port: smtpPort, from: 'tide@example.com' } });
  h.write('workspaces/web/main.tf', markerWorkspaceTf(h.sideEffects));
  h.write('workspaces/web/config.json', {
    enabled: true,
    notifications: [{ on: ['reminder'], email: ['dev@example.com'] }],
    ...config,
  });
  await h.restart();
  return h;
}

const marker = (h: DaemonHarness) => path.join(h.sideEffects, 'web.up');

/** The reminders in the notification outbox, oldest first. */
async function reminders(h: DaemonHarness) {
  const rows = await h.daemon.store.db
    .selectFrom('notification_outbox')
    .select('payload')
    .where('event_type', '=', 'ttl_reminder')
    .orderBy('created_at')
    .execute();
  return rows.map((row) => {
    const event = JSON.parse(row.payload) as Record<string, unknown>;
    return { at: event.destroy_at, lead: event.lead_minutes, kind: event.kind, url: event.extend_url };
  });
}

async function deployWithTtl(h: DaemonHarness, ttl?: string) {
  const queued = await h.api('POST', '/api/v1/workspaces/web/deploy', ttl === undefined ? {} : { ttl });
  expect(queued.status).toBe(202);
  return h.finished(queued.body.id);
}

describe('TTL with the real engine', () => {
  it('a 2 h TTL deploy sends reminders at the set times, received by a real SMTP server, and is destroyed at the end (trigger ttl)', async () => {
    const smtp = await smtpServer();
    const h = await start({}, '2027-06-01T10:00:00Z', smtp.port);
    expect(await deployWithTtl(h, '2h')).toMatchObject({
      state: 'succeeded',
      trigger: 'api',
      ttl_seconds: 7200,
    });
    expect(existsSync(marker(h))).toBe(true);
    const url = 'https://tide.example.com/workspaces/web';
    // The 2 h lead is already reached at the deploy's success: it goes out at once.
    await h.daemon.reminders!.pass();
    expect(await reminders(h)).toEqual([{ at: '2027-06-01T12:00:00.000Z', lead: 120, kind: 'ttl', url }]);
    h.clock.set('2027-06-01T11:44:59Z');
    await h.daemon.reminders!.pass();
    expect(await reminders(h)).toHaveLength(1);
    h.clock.set('2027-06-01T11:45:00Z');
    const next = await h.daemon.reminders!.pass();
    await h.daemon.reminders!.pass();
    expect(await reminders(h)).toEqual([
      { at: '2027-06-01T12:00:00.000Z', lead: 120, kind: 'ttl', url },
      { at: '2027-06-01T12:00:00.000Z', lead: 15, kind: 'ttl', url },
    ]);
    expect(next).toBeNull();
    // Both delivered by the dispatcher over SMTP, each with the link to extend.
    const mails = await smtp.received(2);
    expect(mails).toHaveLength(2);
    for (const mail of mails) {
      expect(mail).toContain('To: dev@example.com');
      expect(mail).toMatch(/web will be destroyed at 2027-06-01T12:00:00\.000Z/);
      expect(mail).toContain(url);
    }

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
    const h = await start({ ttl: '3h' }, '2027-06-01T10:00:00Z');
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

  it('extending a TTL is a keep_up_until override: the destroy waits for the override to end', async () => {
    const h = await start({}, '2027-06-01T10:00:00Z');
    expect(await deployWithTtl(h, '1h')).toMatchObject({ state: 'succeeded', ttl_seconds: 3600 });
    const added = await h.api('POST', '/api/v1/workspaces/web/overrides', {
      kind: 'keep_up_until',
      until: '2027-06-01T12:30:00Z',
      reason: 'the demo runs late',
    });
    expect(added.status).toBe(201);
    h.clock.set('2027-06-01T11:00:00Z');
    await h.daemon.scheduler!.tick();
    h.clock.set('2027-06-01T12:29:59Z');
    await h.daemon.scheduler!.tick();
    expect((await h.api('GET', '/api/v1/runs')).body.items).toHaveLength(1);
    expect(existsSync(marker(h))).toBe(true);
    h.clock.set('2027-06-01T12:30:00Z');
    const destroyed = h.nextFinished();
    await h.daemon.scheduler!.tick();
    expect(await destroyed).toMatchObject({ action: 'destroy', state: 'succeeded', trigger: 'ttl' });
    expect(existsSync(marker(h))).toBe(false);
  });
});
