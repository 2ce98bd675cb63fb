import { afterEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { workspaceFiles } from '../../test/helpers/config-dir.ts';
import { failWrites } from '../../test/helpers/failing-writes.ts';
import { schedulerHarness, type SchedulerHarness } from '../../test/helpers/scheduler-harness.ts';
import { listFirings } from '../schedule/firing.repo.ts';
import { chainOf } from '../run/job-chain.repo.ts';
import { claimNextQueued, listRuns, updateRunState } from '../run/run.repo.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import type { Db } from '../store/schema.ts';
import { checkReadiness } from '../daemon/readiness.ts';
import { createLogger } from '../log/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { sampleValue } from '../observability/test-scrape.ts';
import { Supervisor } from '../supervisor/supervisor.ts';
import { nextHealth, TestTimers } from '../supervisor/test-supervision.ts';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigDirectory } from '../config/config-loader.ts';
import { applySnapshot } from '../config/effective-config.ts';
import { readCheckpoints } from './scheduler.repo.ts';
import { UNITS_PER_SLICE } from './scheduler.ts';

const harnesses: SchedulerHarness[] = [];
afterEach(() => harnesses.splice(0).forEach((h) => h.cleanup()));

async function setup(db: Db, config: object, start: string, extra: Record<string, string | object> = {}) {
  const harness = await schedulerHarness(
    db,
    { ...workspaceFiles('web', { enabled: true, ...config }), ...extra },
    start,
  );
  harnesses.push(harness);
  return harness;
}

async function ledger(db: Db, workspace = 'web') {
  const { items } = await listFirings(db, { workspace, limit: 100 });
  return items
    .map((f) => ({
      key: f.schedule_key,
      at: f.scheduled_at,
      outcome: f.outcome,
      reason: f.reason,
      run: f.run_id !== null,
    }))
    .reverse();
}

async function runsOf(db: Db) {
  return (await listRuns(db, { limit: 100 })).items.reverse();
}

forEachDialect('scheduler', (harness) => {
  const db = () => harness.db;

  it('after a reload that changes one workspace, evaluates and checkpoints only that one', async () => {
    const quiet = { enabled: true, deploy_schedule: '0 7 * * *' };
    const h = await setup(db(), quiet, '2027-06-01T05:00:00Z', {
      ...workspaceFiles('api', quiet),
      ...workspaceFiles('docs', quiet),
    });
    const scheduler = h.newScheduler();
    await scheduler.start();
    expect([...(await readCheckpoints(db())).values()].map((d) => d.toISOString())).toEqual(
      Array(3).fill('2027-06-01T05:00:00.000Z'),
    );

    h.clock.set('2027-06-01T05:10:00Z');
    writeFileSync(
      path.join(h.dir, 'workspaces/api/config.json'),
      JSON.stringify({ ...quiet, deploy_schedule: '0 8 * * *' }),
    );
    const { snapshot } = await loadConfigDirectory(h.dir, { defaultTimeZone: 'UTC' });
    h.config = applySnapshot(h.config, snapshot).next;
    await scheduler.scheduler.configChanged();

    const checkpoints = await readCheckpoints(db());
    expect(checkpoints.get('api')?.toISOString()).toBe('2027-06-01T05:10:00.000Z');
    expect(checkpoints.get('web')?.toISOString()).toBe('2027-06-01T05:00:00.000Z');
    expect(checkpoints.get('docs')?.toISOString()).toBe('2027-06-01T05:00:00.000Z');
    // The changed schedule is the one in force; the kept ones still fire.
    h.clock.set('2027-06-01T07:00:00Z');
    await scheduler.tick();
    expect((await runsOf(db())).map((run) => run.workspace).sort()).toEqual(['docs', 'web']);
    h.clock.set('2027-06-01T08:00:00Z');
    await scheduler.tick();
    expect((await runsOf(db())).map((run) => run.workspace).sort()).toEqual(['api', 'docs', 'web']);
    await scheduler.stop();
  });

  it('returns to the event loop between slices of units and writes their checkpoints in batches', async () => {
    const count = UNITS_PER_SLICE * 2 + 1;
    const files = Object.assign(
      {},
      ...Array.from({ length: count - 1 }, (_, i) =>
        workspaceFiles(`ws-${i}`, { enabled: true, deploy_schedule: '0 7 * * *' }),
      ),
    ) as Record<string, object>;
    const h = await setup(db(), { deploy_schedule: '0 7 * * *' }, '2027-06-01T05:00:00Z', files);
    let turns = 0;
    let passing = true;
    const spin = () => {
      turns += 1;
      if (passing) setImmediate(spin);
    };
    setImmediate(spin);
    const scheduler = h.newScheduler();
    await scheduler.start();
    passing = false;
    // At least one return to the event loop per slice (PostgreSQL's I/O adds more).
    expect(turns).toBeGreaterThanOrEqual(2);
    expect((await readCheckpoints(db())).size).toBe(count);
    await scheduler.stop();
  });
  it('gives the event loop a turn after every unit that fired, so a run queued early in a burst starts before the pass ends', async () => {
    const count = 4;
    const files = Object.assign(
      {},
      ...Array.from({ length: count - 1 }, (_, i) =>
        workspaceFiles(`ws-${i}`, { enabled: true, deploy_schedule: '0 7 * * *' }),
      ),
    ) as Record<string, object>;
    const h = await setup(db(), { deploy_schedule: '0 7 * * *' }, '2027-06-01T06:59:00Z', files);
    const scheduler = h.newScheduler();
    await scheduler.start();
    let queued = 0;
    // How many runs were queued when the turn after each queued run came: the runner's I/O runs in it.
    const queuedAtTurn: number[] = [];
    h.hub.on('run.updated', (run) => {
      if (run.state !== 'queued') return;
      queued += 1;
      setImmediate(() => queuedAtTurn.push(queued));
    });
    h.clock.set('2027-06-01T07:00:00Z');
    await scheduler.tick();
    expect(queuedAtTurn).toEqual([1, 2, 3, 4]);
    await scheduler.stop();
  });
  it('fires a deploy at its instant, exactly once, and sleeps until the next one', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', destroy_schedule: '0 19 * * *' },
      '2027-06-01T06:59:00Z',
    );
    const scheduler = h.newScheduler();
    await scheduler.start();
    expect(await ledger(db())).toEqual([]);
    expect(h.timers.lastDelayMs).toBe(60_000);
    h.clock.set('2027-06-01T07:00:00Z');
    await scheduler.tick();
    await scheduler.tick();
    expect(await ledger(db())).toEqual([
      {
        key: 'deploy_schedule:0 7 * * *',
        at: '2027-06-01T07:00:00.000Z',
        outcome: 'fired',
        reason: null,
        run: true,
      },
    ]);
    const [run] = await runsOf(db());
    expect(run).toMatchObject({
      workspace: 'web',
      action: 'deploy',
      state: 'queued',
      trigger: 'schedule',
      actor: 'scheduler',
    });
    await scheduler.stop();
  });

  it('does not fire a schedule twice when the clock goes backwards', async () => {
    const h = await setup(db(), { deploy_schedule: '0 7 * * *' }, '2027-06-01T06:59:00Z');
    const scheduler = h.newScheduler();
    await scheduler.start();
    h.clock.set('2027-06-01T07:00:01Z');
    await scheduler.tick();
    h.clock.set('2027-06-01T06:30:00Z');
    await scheduler.tick();
    h.clock.set('2027-06-01T07:00:30Z');
    await scheduler.tick();
    expect((await ledger(db())).length).toBe(1);
    expect((await runsOf(db())).length).toBe(1);
    await scheduler.stop();
  });

  it('creates one run per firing however many schedulers run', async () => {
    const h = await setup(db(), { deploy_schedule: '*/5 * * * *' }, '2027-06-01T06:59:00Z');
    const schedulers = [h.newScheduler(), h.newScheduler(), h.newScheduler()];
    for (const s of schedulers) await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await Promise.all(schedulers.map((s) => s.tick()));
    expect((await ledger(db())).length).toBe(1);
    expect((await runsOf(db())).length).toBe(1);
    for (const s of schedulers) await s.stop();
  });

  it('catches up the most recent missed firing after downtime and records older ones as missed', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', destroy_schedule: '30 7 * * *' },
      '2027-06-01T06:00:00Z',
    );
    const before = h.newScheduler();
    await before.start();
    await before.stop();
    h.clock.set('2027-06-01T07:40:00Z');
    const after = h.newScheduler();
    await after.start();
    expect(await ledger(db())).toEqual([
      expect.objectContaining({ key: 'deploy_schedule:0 7 * * *', outcome: 'missed', run: false }),
      expect.objectContaining({
        key: 'destroy_schedule:30 7 * * *',
        outcome: 'skipped',
        reason: 'already in desired state',
      }),
    ]);
    await after.stop();
  });

  it('runs a caught-up firing within the starting deadline and misses it past the deadline', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', policy: { starting_deadline: '30m' } },
      '2027-06-01T06:00:00Z',
    );
    await (async (s) => (await s.start(), s.stop()))(h.newScheduler());
    h.clock.set('2027-06-01T07:20:00Z');
    const within = h.newScheduler();
    await within.start();
    expect((await ledger(db()))[0]).toMatchObject({ outcome: 'fired' });
    await within.stop();
    h.clock.set('2027-06-02T07:45:00Z');
    const late = h.newScheduler();
    await late.start();
    expect((await ledger(db()))[1]).toMatchObject({
      at: '2027-06-02T07:00:00.000Z',
      outcome: 'missed',
      reason: '45m late, past starting_deadline 30m',
    });
    await late.stop();
  });

  it('records every firing of the downtime as missed with catch_up none', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', policy: { catch_up: 'none' } },
      '2027-06-01T06:00:00Z',
    );
    await (async (s) => (await s.start(), s.stop()))(h.newScheduler());
    h.clock.set('2027-06-01T07:05:00Z');
    const s = h.newScheduler();
    await s.start();
    expect(await ledger(db())).toEqual([
      expect.objectContaining({ outcome: 'missed', reason: 'Tide was not running and catch_up is none' }),
    ]);
    await s.stop();
  });

  for (const [policy, expected] of [
    ['skip', { outcome: 'skipped', runs: 1 }],
    ['queue', { outcome: 'fired', runs: 2 }],
    ['replace', { outcome: 'fired', runs: 2 }],
  ] as const) {
    it(`follows concurrency policy ${policy} for a firing during an active run`, async () => {
      const h = await setup(
        db(),
        { deploy_schedule: '0 7 * * *', destroy_schedule: '0 8 * * *', policy: { concurrency: policy } },
        '2027-06-01T06:59:00Z',
      );
      const s = h.newScheduler();
      await s.start();
      h.clock.set('2027-06-01T07:00:00Z');
      await s.tick();
      await claimNextQueued(db(), { owner: 'runner', leaseMs: 60_000, clock: h.clock });
      h.clock.set('2027-06-01T08:00:00Z');
      await s.tick();
      const firings = await ledger(db());
      expect(firings[1]).toMatchObject({ key: 'destroy_schedule:0 8 * * *', outcome: expected.outcome });
      const runs = await runsOf(db());
      expect(runs.length).toBe(expected.runs);
      if (policy === 'replace') expect(runs[0]!.cancel_requested_at).not.toBeNull();
      await s.stop();
    });
  }

  it('skips a deploy of the config that a deploy without a mode already deployed (mode default)', async () => {
    const h = await setup(db(), { deploy_schedule: '0 7 * * *' }, '2027-06-01T06:59:00Z');
    const hash = h.config.workspaces.get('web')!.definition!.contentHash;
    // What a successful deploy without a mode records (src/run/executor/workspace-outcome.ts).
    await upsertWorkspaceStatus(
      db(),
      'web',
      { status: 'deployed', mode: 'default', config_hash: hash },
      h.clock.now(),
    );
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await s.tick();
    expect((await ledger(db()))[0]).toMatchObject({ outcome: 'skipped', reason: 'already in desired state' });
    await s.stop();
  });

  it('deploys again when the config changed since the last deploy', async () => {
    const h = await setup(db(), { deploy_schedule: '0 7 * * *' }, '2027-06-01T06:59:00Z');
    await upsertWorkspaceStatus(
      db(),
      'web',
      { status: 'deployed', mode: 'default', config_hash: 'hash-of-an-older-config' },
      h.clock.now(),
    );
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await s.tick();
    expect((await ledger(db()))[0]).toMatchObject({ outcome: 'fired', run: true });
    await s.stop();
  });

  it('skips a deploy that would change nothing and a destroy of nothing', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', destroy_schedule: '0 19 * * *' },
      '2027-06-01T06:59:00Z',
    );
    const hash = h.config.workspaces.get('web')!.definition!.contentHash;
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed', config_hash: hash }, h.clock.now());
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await s.tick();
    expect((await ledger(db()))[0]).toMatchObject({ outcome: 'skipped', reason: 'already in desired state' });
    await s.stop();
  });

  it('skips deploys on calendar days and keeps destroys', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', destroy_schedule: '0 19 * * *', calendar: 'holidays' },
      '2027-06-01T06:59:00Z',
      {
        'calendars/holidays.yaml': '- 2027-06-01\n',
      },
    );
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, h.clock.now());
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T19:00:00Z');
    await s.tick();
    expect(await ledger(db())).toEqual([
      expect.objectContaining({
        key: 'deploy_schedule:0 7 * * *',
        outcome: 'skipped',
        reason: 'calendar day',
      }),
      expect.objectContaining({ key: 'destroy_schedule:0 19 * * *', outcome: 'fired' }),
    ]);
    await s.stop();
  });

  it('records firings of a workspace disabled through the API or in its config as skipped, saying which', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *' },
      '2027-06-01T06:59:00Z',
      workspaceFiles('off', { enabled: false, deploy_schedule: '0 7 * * *' }),
    );
    await upsertWorkspaceStatus(db(), 'web', { enabled_override: false }, h.clock.now());
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await s.tick();
    expect(await ledger(db())).toEqual([
      expect.objectContaining({ outcome: 'skipped', reason: 'disabled through the API', run: false }),
    ]);
    expect(await ledger(db(), 'off')).toEqual([
      expect.objectContaining({ outcome: 'skipped', reason: 'disabled in its config (enabled: false)' }),
    ]);
    expect(await runsOf(db())).toEqual([]);
    await s.stop();
  });

  it('schedules a workspace disabled in its config once the API enables it, its windows included', async () => {
    const h = await setup(
      db(),
      { enabled: false, deploy_schedule: '0 7 * * *' },
      '2027-06-01T06:59:00Z',
      workspaceFiles('office', { enabled: false, uptime: [{ from: '06:00', to: '19:00' }] }),
    );
    // Enabled through the API inside the office window: enabling is not a person acting on the window, so
    // the heal brings it up now rather than at the next edge.
    for (const name of ['web', 'office'])
      await upsertWorkspaceStatus(db(), name, { enabled_override: true }, new Date('2027-06-01T06:59:00Z'));
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await s.tick();
    expect(await ledger(db())).toEqual([expect.objectContaining({ outcome: 'fired', run: true })]);
    // Started inside its window: the heal at start brings it up.
    expect(await ledger(db(), 'office')).toEqual([
      expect.objectContaining({ key: 'reconcile:uptime', outcome: 'fired', run: true }),
    ]);
    expect((await runsOf(db())).map((run) => [run.workspace, run.action])).toEqual([
      ['office', 'deploy'],
      ['web', 'deploy'],
    ]);
    await s.stop();
  });

  it('fires standalone job schedules', async () => {
    const h = await setup(db(), {}, '2027-06-01T06:59:00Z', {
      'jobs/ping.json': { type: 'command', command: 'true', enabled: true, schedule: '0 7 * * *' },
    });
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await s.tick();
    expect(await ledger(db(), '_standalone_')).toEqual([
      expect.objectContaining({ key: 'jobs.ping:0 7 * * *', outcome: 'fired' }),
    ]);
    expect((await runsOf(db()))[0]).toMatchObject({
      workspace: '_standalone_',
      job: 'ping',
      action: 'job',
      lock_key: 'job:ping',
    });
    await s.stop();
  });

  it("gives a standalone job in a workspace's context that workspace's lock", async () => {
    const h = await setup(db(), {}, '2027-06-01T06:59:00Z', {
      'jobs/report.json': {
        type: 'command',
        command: 'true',
        enabled: true,
        schedule: '0 7 * * *',
        workspace: 'web',
      },
    });
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await s.tick();
    expect((await runsOf(db()))[0]).toMatchObject({
      workspace: '_standalone_',
      job: 'report',
      lock_key: 'web',
    });
    await s.stop();
  });

  it('starts the chain of a job fired by cron: the jobs depending on it wait for it', async () => {
    const h = await setup(
      db(),
      {
        jobs: [
          { name: 'nightly', type: 'command', command: 'true', enabled: true, schedule: '0 7 * * *' },
          { name: 'after', type: 'command', command: 'true', enabled: true, depends_on: ['nightly'] },
        ],
      },
      '2027-06-01T06:59:00Z',
    );
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await s.tick();
    const runs = await runsOf(db());
    expect(runs.map((run) => [run.job, run.trigger]).sort()).toEqual([
      ['after', 'schedule'],
      ['nightly', 'schedule'],
    ]);
    const after = runs.find((run) => run.job === 'after')!;
    const nightly = runs.find((run) => run.job === 'nightly')!;
    expect(await chainOf(db(), after.id)).toMatchObject({
      trigger: 'schedule',
      sourceRunId: nightly.id,
      waitingOn: ['nightly'],
    });
    expect(await chainOf(db(), nightly.id)).toMatchObject({ waitingOn: [] });
    await s.stop();
  });

  it('delays scheduled runs by jitter', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', policy: { jitter: '10m' } },
      '2027-06-01T06:59:00Z',
    );
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await s.tick();
    const [run] = await runsOf(db());
    const delay = new Date(run!.not_before!).getTime() - h.clock.now().getTime();
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(10 * 60_000);
    await s.stop();
  });

  it('brings an uptime workspace up when it starts in the middle of its window, once', async () => {
    const h = await setup(
      db(),
      { timezone: 'Europe/Paris', uptime: [{ days: 'mon-fri', from: '08:00', to: '19:00' }] },
      '2027-06-01T10:00:00Z',
    );
    const s = h.newScheduler();
    await s.start();
    await s.tick();
    expect(await ledger(db())).toEqual([
      expect.objectContaining({ key: 'reconcile:uptime', at: '2027-06-01T06:00:00.000Z', outcome: 'fired' }),
    ]);
    expect((await runsOf(db()))[0]).toMatchObject({ action: 'deploy', trigger: 'window' });
    const again = h.newScheduler();
    await again.start();
    expect((await runsOf(db())).length).toBe(1);
    await s.stop();
    await again.stop();
  });

  it('takes an uptime workspace down at the window close and respects a manual deploy outside it', async () => {
    const h = await setup(db(), { uptime: [{ from: '08:00', to: '19:00' }] }, '2027-06-01T18:59:00Z');
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, new Date('2027-06-01T08:05:00Z'));
    const s = h.newScheduler();
    await s.start();
    h.clock.set('2027-06-01T19:00:00Z');
    await s.tick();
    expect((await ledger(db()))[0]).toMatchObject({ key: 'uptime[0]', outcome: 'fired' });
    const [close] = await runsOf(db());
    await updateRunState(db(), close!.id, 'canceled', h.clock.now());
    await upsertWorkspaceStatus(db(), 'web', { status: 'destroyed' }, new Date('2027-06-01T19:05:00Z'));
    // Someone deploys by hand after the window closed: without enforce it stays up.
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, new Date('2027-06-01T20:00:00Z'));
    h.clock.set('2027-06-01T20:01:00Z');
    await s.tick();
    expect((await runsOf(db())).length).toBe(1);
    await s.stop();
  });

  it('takes a manual deploy outside the window down with enforce', async () => {
    const h = await setup(
      db(),
      { uptime: [{ from: '08:00', to: '19:00' }], enforce: true },
      '2027-06-01T20:01:00Z',
    );
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, new Date('2027-06-01T20:00:00Z'));
    const s = h.newScheduler();
    await s.start();
    expect((await runsOf(db()))[0]).toMatchObject({ action: 'destroy', trigger: 'window' });
    await s.stop();
  });

  it('heals an uptime workspace whose close edge was missed', async () => {
    const h = await setup(db(), { uptime: [{ from: '08:00', to: '19:00' }] }, '2027-06-01T21:00:00Z');
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, new Date('2027-06-01T08:01:00Z'));
    const s = h.newScheduler();
    await s.start();
    expect(await ledger(db())).toEqual([
      expect.objectContaining({ key: 'reconcile:uptime', at: '2027-06-01T19:00:00.000Z', outcome: 'fired' }),
    ]);
    await s.stop();
  });

  it('retries a transient failure with backoff, once per failed run', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', policy: { retries: 1, backoff: { base: '30s', max: '10m' } } },
      '2027-06-01T06:59:00Z',
    );
    const s = h.newScheduler();
    await s.start();
    const run = await h.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const claimed = await claimNextQueued(db(), { owner: 'runner', leaseMs: 60_000, clock: h.clock });
    const { appendLogChunk } = await import('../run/run-log.repo.ts');
    await appendLogChunk(db(), run.id, {
      stream: 'stderr',
      content: 'Error: Error acquiring the state lock',
      created_at: h.clock.now(),
    });
    const failed = await updateRunState(db(), claimed!.id, 'failed', h.clock.now(), {
      exit_code: 1,
      reason: 'apply failed',
    });
    h.hub.emit('run.updated', failed);
    await s.tick();
    await s.tick();
    const runs = await runsOf(db());
    expect(runs.length).toBe(2);
    const retry = runs.find((r) => r.trigger === 'retry');
    expect(retry).toMatchObject({ attempt: 2, retry_of: run.id, state: 'queued' });
    const delay = new Date(retry!.not_before!).getTime() - h.clock.now().getTime();
    expect(delay).toBeGreaterThanOrEqual(15_000);
    expect(delay).toBeLessThanOrEqual(30_000);
    await s.stop();
  });

  it('keeps firing after a transient database error, and readiness names the scheduler until it is back', async () => {
    const h = await setup(db(), { deploy_schedule: '0 7 * * *' }, '2027-06-01T06:59:00Z');
    // The scheduler's own sleeps and the supervisor's backoff, each fired by the test.
    const sleeps = new TestTimers();
    const backoff = new TestTimers();
    const metrics = createMetrics();
    const supervisor = new Supervisor({ logger: createLogger('silent'), timers: backoff, metrics });
    supervisor.add(h.newScheduler(sleeps).scheduler);
    await supervisor.start();
    const ready = () =>
      checkReadiness({
        db: db(),
        migrated: () => true,
        configLoaded: () => true,
        engine: () => null,
        subsystems: () => supervisor.health(),
        draining: () => false,
      });

    const restore = await failWrites(db(), 'scheduler_checkpoints', {
      on: 'insert',
      message: 'checkpoint write refused',
    });
    const restarting = nextHealth(supervisor, 'scheduler', 'restarting');
    h.clock.set('2027-06-01T07:00:00Z');
    expect(sleeps.fire()).toEqual([60_000]);
    expect(await restarting).toMatchObject({
      retryInMs: 1000,
      error: expect.stringContaining('checkpoint write refused'),
    });
    expect(sleeps.pending).toEqual([]);
    expect(await ready()).toMatchObject({
      ok: false,
      checks: {
        scheduler: {
          ok: false,
          detail: expect.stringMatching(/^restarting in 1s after a failure: .*checkpoint write refused/),
        },
      },
    });

    await restore();
    const up = nextHealth(supervisor, 'scheduler', 'up');
    expect(backoff.fire()).toEqual([1000]);
    await up;
    expect(await ready()).toMatchObject({ ok: true, checks: { scheduler: { ok: true } } });
    h.clock.set('2027-06-02T07:00:00Z');
    sleeps.fire();
    await sleeps.armed();
    expect(await ledger(db())).toEqual([
      expect.objectContaining({ at: '2027-06-01T07:00:00.000Z', outcome: 'fired', run: true }),
      expect.objectContaining({ at: '2027-06-02T07:00:00.000Z', outcome: 'fired', run: true }),
    ]);
    expect((await runsOf(db())).length).toBe(2);
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'tide_subsystem_restarts_total', { subsystem: 'scheduler' })).toBe(1);
    expect(sampleValue(text, 'tide_subsystem_up', { subsystem: 'scheduler' })).toBe(1);
    await supervisor.stop();
  });
});
