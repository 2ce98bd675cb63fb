import pino from 'pino';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { ManualTimers } from '../../test/helpers/scheduler-harness.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { EventHub } from '../events/event-hub.ts';
import { ManualClock } from '../time/clock.ts';
import { ReminderLoop } from './reminder-loop.ts';
import type { Reminder } from './reminders.ts';
import { ttlPolicy } from './ttl-policy.ts';
import { applyTtlEffect } from './ttl.repo.ts';

const minute = 60_000;
const configDir = makeConfigDir({
  // Destroyed every evening at 18:00 UTC, reminded 30 and 10 minutes before.
  ...workspaceFiles('web', {
    enabled: true,
    destroy_schedule: '0 18 * * *',
    notifications: [{ on: ['reminder'], email: ['dev@example.com'], remind_before: ['30m', '10m'] }],
  }),
  // The same destroy, but the scheduler would skip it: nothing is announced.
  ...workspaceFiles('off', { enabled: false, destroy_schedule: '0 18 * * *' }),
  ...workspaceFiles('safe', { enabled: true, protect: true, destroy_schedule: '0 18 * * *' }),
  // Deployed by hand outside any up period: its TTL decides.
  ...workspaceFiles('lab', { enabled: true, ttl: '2h' }),
});
/** More workspaces than one slice of a pass (the loop yields to the event loop between slices). */
const manyDir = makeConfigDir(
  Object.assign(
    {},
    ...Array.from({ length: 150 }, (_, i) =>
      workspaceFiles(`w${i}`, { enabled: true, destroy_schedule: '0 18 * * *' }),
    ),
  ) as Record<string, string | object>,
);
let config: EffectiveConfig;
let many: EffectiveConfig;
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
  many = await loadEffectiveConfig(manyDir.dir);
});
afterAll(() => {
  configDir.cleanup();
  manyDir.cleanup();
});

forEachDialect('the reminder loop', (harness) => {
  const at = (iso: string) => new Date(iso);
  const setup = (start: string, sink?: (reminder: Reminder) => void, loaded = () => config) => {
    const clock = new ManualClock(start);
    const sent: Reminder[] = [];
    const hub = new EventHub();
    const timers = new ManualTimers();
    const loop = new ReminderLoop({
      db: harness.db,
      clock,
      config: loaded,
      logger: pino({ level: 'silent' }),
      sink: async (_trx, reminder) => {
        sink?.(reminder);
        sent.push(reminder);
      },
      hub,
      leadsMs: [60 * minute],
      publicUrl: 'https://tide.example.com/',
      intervalMs: 5 * minute,
      timers,
    });
    return { clock, sent, hub, timers, loop };
  };
  const summary = (reminders: Reminder[]) =>
    reminders.map((r) => `${r.workspace} ${r.kind} ${r.destroyAt.toISOString()} -${r.leadMs / minute}m`);

  it('announces the destroys of a fleet larger than one slice of a pass, every one once', async () => {
    const { clock, sent, loop } = setup('2027-03-01T17:30:00Z', undefined, () => many);
    await loop.pass();
    expect(new Set(sent.map((r) => r.workspace)).size).toBe(150);
    clock.set('2027-03-01T17:40:00Z');
    await loop.pass();
    expect(sent).toHaveLength(150);
  });

  it("announces an enabled workspace's scheduled destroy at its own leads, once each, and skips disabled or protected ones", async () => {
    // Further than its longest lead: not looked at yet.
    const { clock, sent, loop } = setup('2027-03-01T17:00:00.000Z');
    expect(await loop.pass()).toBeNull();
    expect(sent).toEqual([]);
    clock.set(at('2027-03-01T17:31:00.000Z'));
    expect(await loop.pass()).toEqual(at('2027-03-01T17:50:00.000Z'));
    expect(summary(sent)).toEqual(['web schedule 2027-03-01T18:00:00.000Z -30m']);
    expect(sent[0]?.extendUrl).toBe('https://tide.example.com/workspaces/web');
    // A second pass (another replica, a restart) does not send it again.
    await loop.pass();
    clock.set(at('2027-03-01T17:55:00.000Z'));
    await loop.pass();
    expect(summary(sent)).toEqual([
      'web schedule 2027-03-01T18:00:00.000Z -30m',
      'web schedule 2027-03-01T18:00:00.000Z -10m',
    ]);
  });

  const setTtl = (workspace: string, destroyAt: string) =>
    applyTtlEffect(
      harness.db,
      { id: `run-${workspace}`, workspace },
      { kind: 'set', destroyAt: at(destroyAt) },
      at('2027-03-01T07:00:00.000Z'),
    );

  it("announces TTL ends at the workspace's leads or the global ones (also for a workspace no longer configured), ignores past ones, and wakes at the earliest next lead", async () => {
    const { sent, loop } = setup('2027-03-01T09:30:00.000Z');
    await setTtl('old', '2027-03-01T09:00:00.000Z');
    await setTtl('lab', '2027-03-01T10:00:00.000Z');
    await setTtl('web', '2027-03-01T10:45:00.000Z'); // its own leads: next at 10:15
    await setTtl('gone', '2027-03-01T11:00:00.000Z'); // global lead: next at 10:00
    await setTtl('later', '2027-03-01T12:00:00.000Z'); // next at 11:00
    expect(await loop.pass()).toEqual(at('2027-03-01T10:00:00.000Z'));
    expect(summary(sent)).toEqual(['lab ttl 2027-03-01T10:00:00.000Z -60m']);
  });

  it('uses the default leads (2 h, 15 min), no link without a public URL, and real timers at the default interval', async () => {
    const sent: Reminder[] = [];
    const loop = new ReminderLoop({
      db: harness.db,
      clock: new ManualClock('2027-03-01T09:30:00.000Z'),
      config: () => config,
      logger: pino({ level: 'silent' }),
      sink: async (_trx, reminder) => void sent.push(reminder),
    });
    await setTtl('lab', '2027-03-01T11:00:00.000Z');
    const stop = new AbortController();
    let up!: () => void;
    const ready = new Promise<void>((resolve) => (up = resolve));
    const running = loop.start(stop.signal, up);
    await ready;
    expect(summary(sent)).toEqual(['lab ttl 2027-03-01T11:00:00.000Z -120m']);
    expect(sent[0]?.extendUrl).toBeNull();
    stop.abort();
    await running;
  });

  it('hands a reminder over once when two replicas pass at the same time', async () => {
    const a = setup('2027-03-01T09:30:00.000Z');
    const b = setup('2027-03-01T09:30:00.000Z');
    await setTtl('lab', '2027-03-01T10:00:00.000Z');
    await Promise.all([a.loop.pass(), b.loop.pass()]);
    expect(summary([...a.sent, ...b.sent])).toEqual(['lab ttl 2027-03-01T10:00:00.000Z -60m']);
  });

  it('passes again at once when a run ends during a pass', async () => {
    let passes = 0;
    const hub = new EventHub();
    const timers = new ManualTimers();
    const loop = new ReminderLoop({
      db: harness.db,
      clock: new ManualClock('2027-03-01T17:45:00.000Z'),
      config: () => {
        passes += 1;
        return config;
      },
      logger: pino({ level: 'silent' }),
      sink: async () => void hub.emit('run.updated', { state: 'failed' } as never),
      hub,
      timers,
    });
    const stop = new AbortController();
    let up!: () => void;
    const ready = new Promise<void>((resolve) => (up = resolve));
    const running = loop.start(stop.signal, up);
    await ready;
    await vi.waitFor(() => expect(timers.lastDelayMs).not.toBeNull());
    expect(passes).toBe(2);
    stop.abort();
    await running;
  });

  it('hands a reminder over again at the next pass when the sink failed', async () => {
    let failing = true;
    const { sent, loop } = setup('2027-03-01T17:45:00.000Z', () => {
      if (failing) throw new Error('outbox unavailable');
    });
    await expect(loop.pass()).rejects.toThrow('outbox unavailable');
    failing = false;
    await loop.pass();
    expect(summary(sent)).toEqual(['web schedule 2027-03-01T18:00:00.000Z -30m']);
  });

  it('sleeps until the next reminder (at most the interval), wakes early when a run ends, and stops when aborted', async () => {
    const { clock, sent, hub, timers, loop } = setup('2027-03-01T17:47:00.000Z');
    const stop = new AbortController();
    let up!: () => void;
    const ready = new Promise<void>((resolve) => (up = resolve));
    const running = loop.start(stop.signal, up);
    await ready;
    // The 30-minute reminder went out; three minutes to the 10-minute one, within the 5-minute interval.
    expect(summary(sent)).toEqual(['web schedule 2027-03-01T18:00:00.000Z -30m']);
    expect(timers.lastDelayMs).toBe(3 * minute);
    // A run still going changes no TTL: the loop keeps sleeping.
    hub.emit('run.updated', { state: 'running' } as never);
    clock.set(at('2027-03-01T17:50:00.000Z'));
    timers.lastDelayMs = null;
    hub.emit('run.updated', { state: 'succeeded' } as never);
    // Nothing left to announce: it sleeps for the interval.
    await vi.waitFor(() => expect(timers.lastDelayMs).toBe(5 * minute));
    expect(summary(sent)).toEqual([
      'web schedule 2027-03-01T18:00:00.000Z -30m',
      'web schedule 2027-03-01T18:00:00.000Z -10m',
    ]);
    stop.abort();
    await running;
  });
});

it('a TTL policy clears the TTL of a workspace no longer configured when it is destroyed, and sets none', () => {
  const policy = ttlPolicy(() => config);
  const now = new Date('2027-03-01T12:00:00.000Z');
  const run = { workspace: 'removed', job: null, trigger: 'manual', ttl_seconds: 600 };
  expect(policy({ ...run, action: 'destroy', state: 'succeeded' }, now)).toEqual({ kind: 'clear' });
  expect(policy({ ...run, action: 'deploy', state: 'succeeded' }, now)).toBeNull();
  expect(policy({ ...run, action: 'destroy', state: 'failed' }, now)).toBeNull();
  expect(policy({ ...run, workspace: 'lab', action: 'deploy', state: 'succeeded' }, now)).toEqual({
    kind: 'set',
    destroyAt: new Date('2027-03-01T12:10:00.000Z'),
  });
});
