import type { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { createLogger } from '../log/logger.ts';
import type { LogLinesEvent } from '../run/run-events.ts';
import type { Run } from '../run/run.ts';
import type { Store } from '../store/database.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import { nextHealth, TestTimers } from '../supervisor/test-supervision.ts';
import type { RelayedEvent } from './event-envelope.ts';
import { EventHub, type TideEvents } from './event-hub.ts';
import { EVENT_CHANNEL, EventRelay } from './event-relay.ts';

interface Replica {
  readonly hub: EventHub;
  readonly store: Store;
  readonly supervisor: Supervisor;
  readonly backoff: TestTimers;
  /** Every event this replica's hub emitted, in order. */
  readonly seen: RelayedEvent[];
  /** What the relay logged, as parsed JSON lines. */
  readonly logged: Record<string, unknown>[];
}

/** Resolves with the next `event` emitted on `hub` that matches. */
function next<E extends keyof TideEvents>(
  hub: EventHub,
  event: E,
  matches: (data: TideEvents[E][0]) => boolean = () => true,
): Promise<TideEvents[E][0]> {
  return new Promise((resolve) => {
    const listener = (data: TideEvents[E][0]): void => {
      if (!matches(data)) return;
      (hub as EventHubAny).off(event, listener);
      resolve(data);
    };
    (hub as EventHubAny).on(event, listener);
  });
}
type EventHubAny = EventEmitter;

function run(id: string, patch: Partial<Run> = {}): Run {
  return {
    id,
    workspace: 'web',
    job: null,
    action: 'deploy',
    mode: null,
    state: 'running',
    trigger: 'api',
    actor: 'alice',
    attempt: 1,
    retry_of: null,
    firing_id: null,
    lock_key: 'web',
    priority: 0,
    created_at: '2027-06-01T07:00:00.000Z',
    started_at: '2027-06-01T07:00:01.000Z',
    finished_at: null,
    exit_code: null,
    reason: null,
    plan_summary: null,
    outputs: { url: 'https://web.example' },
    lease_owner: 'b:1',
    lease_expires_at: '2027-06-01T07:00:31.000Z',
    fencing_token: 1,
    config_hash: null,
    not_before: null,
    cancel_requested_at: null,
    ttl_seconds: null,
    ...patch,
  };
}

function log(seq: number, lines: string[]): LogLinesEvent {
  return { runId: 'r1', workspace: 'web', seq, stream: 'stdout', lines };
}

forEachDialect('events across replicas', (harness) => {
  const onPostgres = it.runIf(harness.dialect === 'postgres');
  const replicas: Replica[] = [];
  let url: string | undefined;

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((replica) => replica.supervisor.stop()));
  });

  /** A replica's hub with its relay running, on the database every replica of this test shares. */
  async function replica(sendThrough?: Store): Promise<Replica> {
    url ??= (await harness.freshDatabase()).url!;
    const store = sendThrough ?? (await harness.open({ url, dataDir: tmpdir() }));
    const hub = new EventHub();
    const seen: RelayedEvent[] = [];
    for (const event of ['run.updated', 'run.log', 'workspace.status', 'firing.recorded'] as const)
      (hub as EventHubAny).on(event, (data: object) => seen.push({ event, data } as RelayedEvent));
    const logged: Record<string, unknown>[] = [];
    const logger = createLogger('warn', {
      write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>),
    });
    const backoff = new TestTimers();
    const supervisor = new Supervisor({ logger, timers: backoff });
    supervisor.add(new EventRelay({ hub, db: store.db, url, logger }));
    await supervisor.start();
    const created = { hub, store, supervisor, backoff, seen, logged };
    replicas.push(created);
    return created;
  }

  onPostgres(
    'delivers an event published on one replica to the other once, and never back to itself',
    async () => {
      const a = await replica();
      const b = await replica();
      const update = run('r1');
      const arrived = next(b.hub, 'run.updated');
      a.hub.emit('run.updated', update);
      expect(await arrived).toEqual(update);

      // B answers; A's listener hears A's own notification before B's, so a duplicate would show by now.
      const answer = next(a.hub, 'workspace.status');
      b.hub.emit('workspace.status', { workspace: 'web', status: 'deploying', mode: null });
      await answer;
      const sequence = (replica: Replica) => replica.seen.map((seen) => seen.event);
      expect(sequence(a)).toEqual(['run.updated', 'workspace.status']);
      expect(sequence(b)).toEqual(['run.updated', 'workspace.status']);
    },
  );

  onPostgres('carries every kind of event, as it was published', async () => {
    const a = await replica();
    const b = await replica();
    const published: RelayedEvent[] = [
      { event: 'run.updated', data: run('r1', { cancel_requested_at: '2027-06-01T07:00:05.000Z' }) },
      { event: 'run.log', data: log(1, ['Plan: 1 to add, 0 to change, 0 to destroy.']) },
      { event: 'workspace.status', data: { workspace: 'web', status: 'deployed', mode: 'small' } },
      {
        event: 'firing.recorded',
        data: {
          workspace: 'web',
          schedule_key: 'deploy',
          action: 'deploy',
          scheduled_at: '2027-06-01T07:00:00.000Z',
          outcome: 'fired',
          reason: null,
          run_id: 'r1',
        },
      },
    ];
    const last = next(b.hub, 'firing.recorded');
    for (const { event, data } of published) (a.hub as EventHubAny).emit(event, data);
    await last;
    expect(b.seen).toEqual(published);
  });

  onPostgres(
    'delivers a log chunk larger than a NOTIFY payload whole, in order with the chunks around it',
    async () => {
      const a = await replica();
      const b = await replica();
      const big = Array.from({ length: 100 }, (_, i) => `${i}: ${'résumé ✓ '.repeat(50)}`);
      const third = next(b.hub, 'run.log', (event) => event.seq === 3);
      a.hub.emit('run.log', log(1, ['first']));
      a.hub.emit('run.log', log(2, big));
      a.hub.emit('run.log', log(3, ['last']));
      await third;
      const chunks = [log(1, ['first']), log(2, big), log(3, ['last'])];
      expect(b.seen).toEqual(chunks.map((data) => ({ event: 'run.log', data })));
    },
  );

  onPostgres(
    'shows a lost LISTEN connection in its health, reconnects after the backoff, and relays again',
    async () => {
      const a = await replica();
      const b = await replica();
      const restarting = nextHealth(b.supervisor, 'event-relay', 'restarting');
      await sql`select pg_terminate_backend(pid) from pg_stat_activity
              where application_name = ${`tide ${EVENT_CHANNEL}`} and datname = current_database()`.execute(
        a.store.db,
      );
      const health = await restarting;
      expect(health.error).toMatch(/terminat/);
      expect(health.retryInMs).toBe(1_000);

      const upAgain = Promise.all([a, b].map((r) => nextHealth(r.supervisor, 'event-relay', 'up')));
      await Promise.all([a, b].map((r) => r.backoff.armed()));
      a.backoff.fire();
      b.backoff.fire();
      await upAgain;
      const arrived = next(b.hub, 'run.updated');
      a.hub.emit('run.updated', run('r2'));
      expect((await arrived).id).toBe('r2');
    },
  );

  onPostgres(
    'goes on relaying when a listener fails on an event from another replica, or a notification is not an event',
    async () => {
      const a = await replica();
      const b = await replica();
      b.hub.once('run.updated', () => {
        throw new Error('listener broke');
      });
      await sql`select pg_notify(${EVENT_CHANNEL}, 'not an event')`.execute(a.store.db);
      const second = next(b.hub, 'run.updated', (update) => update.id === 'r2');
      a.hub.emit('run.updated', run('r1'));
      a.hub.emit('run.updated', run('r2'));
      await second;
      expect(b.logged.map((line) => [line.msg, (line.err as { message: string }).message])).toEqual([
        ['an event from another replica could not be delivered', 'not an event notification: not an event'],
        ['an event from another replica could not be delivered', 'listener broke'],
      ]);
    },
  );

  onPostgres('sends what was published just before it stopped', async () => {
    const a = await replica();
    const b = await replica();
    const arrived = next(b.hub, 'run.updated');
    a.hub.emit('run.updated', run('r1', { state: 'canceled', reason: 'shutdown' }));
    await a.supervisor.stop();
    expect((await arrived).state).toBe('canceled');
    // Stopped: no longer listening to its hub.
    a.hub.emit('run.updated', run('r2'));
    expect(a.hub.listenerCount('run.updated')).toBe(1);
  });

  onPostgres('logs the events it could not send', async () => {
    const b = await replica();
    // A sends through a database that is then dropped under it: every NOTIFY fails.
    const doomed = await harness.open(await harness.freshDatabase());
    const a = await replica(doomed);
    const name = (await sql<{ name: string }>`select current_database() as name`.execute(doomed.db)).rows[0]!
      .name;
    await sql`drop database ${sql.id(name)} with (force)`.execute(b.store.db);
    a.hub.emit('run.updated', run('r1'));
    await a.supervisor.stop();
    expect(a.logged.map((line) => [line.msg, line.notifications])).toEqual([
      ['could not send events to the other replicas: they see these runs only through the store', 1],
    ]);
  });
});
