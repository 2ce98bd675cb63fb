import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { createTestToken } from '../../test/helpers/auth-fixture.ts';
import { daemonHarness, type ApiBody, type DaemonHarness } from '../../test/helpers/daemon-harness.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { connectEvents, type EventClient } from '../../test/helpers/event-client.ts';
import type { DaemonSettings } from './daemon.ts';

/**
 * Two replicas of one cluster in this process, on one PostgreSQL database: A serves the API and runs the
 * scheduler, B also runs the runs. Nothing but the database joins them.
 */
forEachDialect('replicas of one cluster', (harness) => {
  const onPostgres = it.runIf(harness.dialect === 'postgres');
  const harnesses: DaemonHarness[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /**
   * A job that prints `first` once `<dir>/go1` exists and `second` once `<dir>/go2` does (so the test
   * decides when each line is written), and one that prints `started` and sleeps for ten minutes.
   */
  function jobs(dir: string): Record<string, object> {
    const waitFor = (file: string) => `while [ ! -e ${path.join(dir, file)} ]; do sleep 0.02; done`;
    return {
      'jobs/stepwise.json': {
        type: 'command',
        command: `${waitFor('go1')}; echo first; ${waitFor('go2')}; echo second`,
        enabled: true,
      },
      'jobs/sleepy.json': { type: 'command', command: 'echo started; sleep 600', enabled: true },
    };
  }

  async function cluster(): Promise<{ a: DaemonHarness; b: DaemonHarness; dir: string }> {
    const { url } = await harness.freshDatabase();
    const dir = mkdtempSync(path.join(tmpdir(), 'tide-replicas-'));
    dirs.push(dir);
    // A lease of an hour: its heartbeat, every 20 minutes, cannot be what tells B anything in a test.
    const shared: Partial<DaemonSettings> = { databaseUrl: url, leaseMs: 3_600_000 };
    const start = '2027-06-01T07:00:00Z';
    const a = await daemonHarness(jobs(dir), start, { ...shared, roles: new Set(['api', 'scheduler']) });
    harnesses.push(a);
    const b = await daemonHarness(jobs(dir), start, { ...shared, roles: new Set(['api', 'runner']) });
    harnesses.push(b);
    return { a, b, dir };
  }

  async function eventsOf(h: DaemonHarness): Promise<EventClient> {
    const token = await createTestToken(
      h.daemon.store.db,
      { username: 'admin', role: 'admin' },
      { name: 'ws' },
    );
    return connectEvents(`${h.daemon.url!.replace(/^http/, 'ws')}/api/v1/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
  }

  onPostgres(
    'shows a run executing on replica B on replica A’s WebSocket and follow stream as it happens',
    async () => {
      const { a, b, dir } = await cluster();
      expect(a.daemon.worker).toBeNull();
      const events = await eventsOf(a);
      const run = await a.daemon.runs.enqueue({
        workspace: '_standalone_',
        job: 'stepwise',
        action: 'job',
        trigger: 'api',
      });
      const isRun =
        (type: string, check: (message: ApiBody) => boolean = () => true) =>
        (message: ApiBody): boolean =>
          message.type === type && (message.run?.id ?? message.run_id) === run.id && check(message);

      await events.next(isRun('run.updated', (m) => m.run.state === 'running'));
      const follow = await followLog(a, run.id);
      writeFileSync(path.join(dir, 'go1'), '');
      await events.next(isRun('run.log', (m) => m.lines.includes('first')));
      await follow.waitFor('first\n');
      // Still running on B: "first" came through the events, not from a read at the end.
      expect((await b.daemon.runs.get(run.id)).state).toBe('running');

      writeFileSync(path.join(dir, 'go2'), '');
      await events.next(isRun('run.updated', (m) => m.run.state === 'succeeded'));
      await follow.ended;
      expect(follow.text).toMatch(/\nfirst\nsecond\n==> succeeded\n$/);
      events.socket.close();
    },
  );

  onPostgres('stops a run executing on replica B at once when replica A’s API cancels it', async () => {
    const { a, b } = await cluster();
    const started = new Promise<void>((resolve) =>
      b.daemon.hub.on('run.log', (event) => event.lines.includes('started') && resolve()),
    );
    const run = await a.daemon.runs.enqueue({
      workspace: '_standalone_',
      job: 'sleepy',
      action: 'job',
      trigger: 'api',
    });
    await started;
    const finished = b.finished(run.id, 20_000);
    const cancel = await a.api('POST', `/api/v1/runs/${run.id}/cancel`, {});
    expect(cancel.status).toBe(202);
    const final = await finished;
    expect(final.state).toBe('canceled');
    expect(final.reason).toMatch(/cancel/);
  });

  onPostgres(
    'reports the event relay in readiness, and runs each cluster loop on one replica only',
    async () => {
      const { a, b } = await cluster();
      const ready = await a.api('GET', '/api/health/ready');
      expect(ready.body.checks['event-relay']).toEqual({ ok: true });
      expect(b.daemon.supervisor.health().map((health) => health.name)).toContain('event-relay');
      // Each loop's lock is held by a connection of its own, named after the loop.
      const { rows } = await sql<{ lock: string }>`
      select a.application_name as lock from pg_locks l join pg_stat_activity a using (pid)
      where l.locktype = 'advisory' and l.granted and a.datname = current_database() order by 1`.execute(
        b.daemon.store.db,
      );
      expect(rows.map((row) => row.lock)).toEqual([
        'tide lock tide:dependency-sweep',
        'tide lock tide:job-startup',
        'tide lock tide:orphan-reaper',
        'tide lock tide:rate-limit-pruning',
        'tide lock tide:reminders',
        'tide lock tide:retention',
      ]);
    },
  );

  it.runIf(harness.dialect === 'sqlite')(
    'runs without an event relay on SQLite, where one process is the whole cluster',
    async () => {
      const h = await daemonHarness({}, '2027-06-01T07:00:00Z');
      harnesses.push(h);
      const names = h.daemon.supervisor.health().map((health) => health.name);
      expect(names).not.toContain('event-relay');
      expect(names).toEqual(expect.arrayContaining(['orphan-reaper', 'rate-limit-pruning', 'retention']));
    },
  );
});

interface FollowedLog {
  text: string;
  readonly ended: Promise<unknown>;
  waitFor(needle: string): Promise<void>;
}

/** `GET /api/v1/runs/{id}/logs?follow=true&format=text` on a replica, read as it streams. */
async function followLog(h: DaemonHarness, runId: string): Promise<FollowedLog> {
  const token = await createTestToken(
    h.daemon.store.db,
    { username: 'admin', role: 'admin' },
    { name: 'follow' },
  );
  const request = get(`${h.daemon.url!}/api/v1/runs/${runId}/logs?follow=true&format=text`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const [response] = (await once(request, 'response')) as [IncomingMessage];
  expect(response.statusCode).toBe(200);
  response.setEncoding('utf8');
  const waiters: { needle: string; resolve: () => void }[] = [];
  const followed: FollowedLog = {
    text: '',
    ended: once(response, 'end'),
    waitFor(needle) {
      if (followed.text.includes(needle)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ needle, resolve }));
    },
  };
  response.on('data', (chunk: string) => {
    followed.text += chunk;
    for (const waiter of waiters.filter((w) => followed.text.includes(w.needle))) waiter.resolve();
  });
  return followed;
}
