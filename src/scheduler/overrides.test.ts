import { afterEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { workspaceFiles } from '../../test/helpers/config-dir.ts';
import { schedulerHarness, type SchedulerHarness } from '../../test/helpers/scheduler-harness.ts';
import { listFirings } from '../schedule/firing.repo.ts';
import { listRuns } from '../run/run.repo.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { getOverride, insertOverride } from '../workspace/override.repo.ts';
import type { Override, OverrideKind } from '../workspace/override.ts';
import type { Db } from '../store/schema.ts';

const harnesses: SchedulerHarness[] = [];
afterEach(() => harnesses.splice(0).forEach((h) => h.cleanup()));

async function setup(db: Db, config: object, start: string) {
  const harness = await schedulerHarness(db, workspaceFiles('web', { enabled: true, ...config }), start);
  harnesses.push(harness);
  return harness;
}

async function addOverride(
  db: Db,
  id: string,
  kind: OverrideKind,
  createdAt: string,
  endsAt: string,
  action: Override['action'] = null,
): Promise<Override> {
  const override: Override = {
    id,
    workspace: 'web',
    kind,
    action,
    ends_at: new Date(endsAt),
    reason: 'demo',
    actor: 'user:alice',
    created_at: new Date(createdAt),
    removed_at: null,
    consumed_at: null,
  };
  await insertOverride(db, override);
  return override;
}

async function ledger(db: Db) {
  const { items } = await listFirings(db, { workspace: 'web', limit: 100 });
  return items
    .map((f) => ({ key: f.schedule_key, at: f.scheduled_at, outcome: f.outcome, reason: f.reason }))
    .reverse();
}

async function runsOf(db: Db) {
  return (await listRuns(db, { limit: 100 })).items.reverse();
}

forEachDialect('overrides in the scheduler', (harness) => {
  const db = () => harness.db;

  it('keep_up_until 21:00 skips the 19:00 window close (reason override) and the workspace goes down at 21:00', async () => {
    const h = await setup(db(), { uptime: [{ from: '08:00', to: '19:00' }] }, '2027-06-01T18:00:00Z');
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, new Date('2027-06-01T08:05:00Z'));
    await addOverride(db(), 'ov-up', 'keep_up_until', '2027-06-01T18:00:00Z', '2027-06-01T21:00:00Z');
    const scheduler = h.newScheduler();
    await scheduler.start();
    h.clock.set('2027-06-01T19:00:00Z');
    await scheduler.tick();
    expect(await ledger(db())).toEqual([
      {
        key: 'uptime[0]',
        at: '2027-06-01T19:00:00.000Z',
        outcome: 'skipped',
        reason: 'override ov-up: keep_up_until until 2027-06-01T21:00:00.000Z',
      },
    ]);
    h.clock.set('2027-06-01T20:30:00Z');
    await scheduler.tick();
    expect(await runsOf(db())).toEqual([]);
    h.clock.set('2027-06-01T21:00:00Z');
    await scheduler.tick();
    const entries = await ledger(db());
    expect(entries[1]).toMatchObject({
      key: 'reconcile:uptime',
      at: '2027-06-01T21:00:00.000Z',
      outcome: 'fired',
    });
    expect(entries[1]!.reason).toContain('override ov-up (keep_up_until) ended at 2027-06-01T21:00:00.000Z');
    expect(await runsOf(db())).toEqual([expect.objectContaining({ action: 'destroy', trigger: 'window' })]);
    await scheduler.stop();
  });

  it('keep_up_until on a cron workspace skips the destroy, then destroys at its end', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', destroy_schedule: '0 19 * * *' },
      '2027-06-01T18:00:00Z',
    );
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, new Date('2027-06-01T07:05:00Z'));
    await addOverride(db(), 'ov-edge', 'keep_up_until', '2027-06-01T18:00:00Z', '2027-06-01T21:00:00Z');
    const scheduler = h.newScheduler();
    await scheduler.start();
    h.clock.set('2027-06-01T19:00:00Z');
    await scheduler.tick();
    expect((await ledger(db()))[0]).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(/^override ov-edge:/),
    });
    h.clock.set('2027-06-01T21:00:00Z');
    await scheduler.tick();
    await scheduler.tick();
    expect((await ledger(db()))[1]).toMatchObject({
      key: 'override:ov-edge',
      at: '2027-06-01T21:00:00.000Z',
      outcome: 'fired',
      reason: expect.stringContaining('ended at 2027-06-01T21:00:00.000Z'),
    });
    expect(await runsOf(db())).toEqual([expect.objectContaining({ action: 'destroy', trigger: 'schedule' })]);
    await scheduler.stop();
  });

  it('skip_next destroy skips exactly one firing, even with two schedulers', async () => {
    const h = await setup(db(), { destroy_schedule: '0 * * * *' }, '2027-06-01T18:30:00Z');
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, new Date('2027-06-01T07:05:00Z'));
    await addOverride(
      db(),
      'ov-skip',
      'skip_next',
      '2027-06-01T18:30:00Z',
      '2027-06-30T00:00:00Z',
      'destroy',
    );
    const schedulers = [h.newScheduler(), h.newScheduler()];
    for (const s of schedulers) await s.start();
    h.clock.set('2027-06-01T19:00:00Z');
    await Promise.all(schedulers.map((s) => s.tick()));
    h.clock.set('2027-06-01T20:00:00Z');
    await Promise.all(schedulers.map((s) => s.tick()));
    expect(await ledger(db())).toEqual([
      expect.objectContaining({
        at: '2027-06-01T19:00:00.000Z',
        outcome: 'skipped',
        reason: expect.stringMatching(/^override ov-skip:/),
      }),
      expect.objectContaining({ at: '2027-06-01T20:00:00.000Z', outcome: 'fired' }),
    ]);
    expect(await getOverride(db(), 'web', 'ov-skip')).toMatchObject({
      consumed_at: new Date('2027-06-01T19:00:00Z'),
    });
    for (const s of schedulers) await s.stop();
  });

  it('keep_down_until skips deploys and hands the skipped deploy back at its end', async () => {
    const h = await setup(db(), { deploy_schedule: '0 7 * * *' }, '2027-06-01T06:00:00Z');
    await addOverride(db(), 'ov-down', 'keep_down_until', '2027-06-01T06:00:00Z', '2027-06-01T08:00:00Z');
    const scheduler = h.newScheduler();
    await scheduler.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await scheduler.tick();
    expect((await ledger(db()))[0]).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(/^override ov-down: keep_down_until/),
    });
    expect(await runsOf(db())).toEqual([]);
    h.clock.set('2027-06-01T08:00:00Z');
    await scheduler.tick();
    expect(await runsOf(db())).toEqual([expect.objectContaining({ action: 'deploy' })]);
    await scheduler.stop();
  });

  it('pause_until skips every firing, jobs and windows alike, with reason override', async () => {
    const h = await setup(
      db(),
      { deploy_schedule: '0 7 * * *', destroy_schedule: '0 8 * * *' },
      '2027-06-01T06:00:00Z',
    );
    await addOverride(db(), 'ov-pause', 'pause_until', '2027-06-01T06:00:00Z', '2027-06-01T09:00:00Z');
    const scheduler = h.newScheduler();
    await scheduler.start();
    for (const at of ['2027-06-01T07:00:00Z', '2027-06-01T08:00:00Z']) {
      h.clock.set(at);
      await scheduler.tick();
    }
    expect((await ledger(db())).map((entry) => [entry.outcome, entry.reason?.split(':')[0]])).toEqual([
      ['skipped', 'override ov-pause'],
      ['skipped', 'override ov-pause'],
    ]);
    await scheduler.stop();
  });

  it('an expired override no longer skips anything', async () => {
    const h = await setup(db(), { deploy_schedule: '0 7 * * *' }, '2027-06-01T06:00:00Z');
    await addOverride(db(), 'ov-old', 'keep_down_until', '2027-06-01T05:00:00Z', '2027-06-01T06:30:00Z');
    const scheduler = h.newScheduler();
    await scheduler.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await scheduler.tick();
    expect(await ledger(db())).toEqual([expect.objectContaining({ outcome: 'fired', reason: null })]);
    await scheduler.stop();
  });
});
