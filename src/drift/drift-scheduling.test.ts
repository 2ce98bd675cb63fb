import { afterEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { workspaceFiles } from '../../test/helpers/config-dir.ts';
import { schedulerHarness, type SchedulerHarness } from '../../test/helpers/scheduler-harness.ts';
import { listRuns, updateRunState } from '../run/run.repo.ts';
import { listFirings } from '../schedule/firing.repo.ts';
import type { Db } from '../store/schema.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';

const harnesses: SchedulerHarness[] = [];
afterEach(() => harnesses.splice(0).forEach((h) => h.cleanup()));

async function setup(db: Db, config: object, start: string) {
  const harness = await schedulerHarness(db, workspaceFiles('web', { enabled: true, ...config }), start);
  harnesses.push(harness);
  return harness;
}

async function ledger(db: Db) {
  const { items } = await listFirings(db, { workspace: 'web', limit: 100 });
  return items.map((f) => ({ key: f.schedule_key, outcome: f.outcome, reason: f.reason })).reverse();
}

/** The state a drift check that found drift at `since` leaves (run-executor tests check it is so). */
async function driftedSince(db: Db, since: string) {
  await upsertWorkspaceStatus(db, 'web', { status: 'deployed', mode: 'default' }, new Date(since));
  await upsertWorkspaceStatus(
    db,
    'web',
    {
      drifted: true,
      drift_checked_at: since,
      drift_since: since,
      drift_run_id: null,
      drift_summary: { add: 0, change: 1, destroy: 0 },
      drift_addresses: ['terraform_data.watched'],
    },
    new Date(since),
  );
}

forEachDialect('drift checks and remediation in the scheduler', (harness) => {
  const db = () => harness.db;

  it('skips a drift check of a workspace that is not deployed, and one while a run holds it', async () => {
    const h = await setup(db(), { drift_schedule: '0 * * * *' }, '2027-06-01T06:59:00Z');
    const scheduler = h.newScheduler();
    await scheduler.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await scheduler.tick();
    await upsertWorkspaceStatus(db(), 'web', { status: 'deployed' }, h.clock.now());
    await h.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'manual' });
    h.clock.set('2027-06-01T08:00:00Z');
    await scheduler.tick();
    const [deploy] = (await listRuns(db(), { limit: 10 })).items;
    await updateRunState(db(), deploy!.id, 'canceled', h.clock.now());
    h.clock.set('2027-06-01T09:00:00Z');
    await scheduler.tick();
    expect(await ledger(db())).toEqual([
      { key: 'drift_schedule:0 * * * *', outcome: 'skipped', reason: 'not deployed (status destroyed)' },
      {
        key: 'drift_schedule:0 * * * *',
        outcome: 'skipped',
        reason: `run active: deploy run ${deploy!.id} is queued`,
      },
      { key: 'drift_schedule:0 * * * *', outcome: 'fired', reason: null },
    ]);
    const plans = (await listRuns(db(), { limit: 10 })).items.filter((run) => run.action === 'plan');
    expect(plans).toMatchObject([{ trigger: 'schedule', state: 'queued' }]);
    await scheduler.stop();
  });

  it('queues one remediation deploy per drift when drift.remediate is set, however often it reconciles', async () => {
    const h = await setup(
      db(),
      { drift_schedule: '0 * * * *', drift: { remediate: true } },
      '2027-06-01T07:30:00Z',
    );
    await driftedSince(db(), '2027-06-01T07:00:00Z');
    const scheduler = h.newScheduler();
    await scheduler.start();
    const deploys = async () =>
      (await listRuns(db(), { limit: 10 })).items.filter((run) => run.action === 'deploy');
    const [remediation] = await deploys();
    expect(remediation).toMatchObject({ trigger: 'schedule', state: 'queued', actor: 'scheduler' });
    expect(await ledger(db())).toEqual([
      { key: 'drift:remediate', outcome: 'fired', reason: 'drift remediation' },
    ]);
    // The deploy is canceled; the drift stays. Reconciling again does not deploy the same drift twice.
    await updateRunState(db(), remediation!.id, 'canceled', h.clock.now());
    h.clock.set('2027-06-01T07:31:01Z');
    await scheduler.tick();
    expect(await deploys()).toHaveLength(1);
    // A new drift (found later, after a deploy had cleared the first) gets its own remediation.
    await upsertWorkspaceStatus(db(), 'web', { drifted: false, drift_since: null }, h.clock.now());
    await driftedSince(db(), '2027-06-01T07:45:00Z');
    h.clock.set('2027-06-01T07:50:00Z');
    await scheduler.tick();
    expect(await deploys()).toHaveLength(2);
    await scheduler.stop();
  });

  it('does not remediate without drift.remediate, nor an uptime workspace outside its windows', async () => {
    const off = await setup(db(), { drift_schedule: '0 * * * *' }, '2027-06-01T07:30:00Z');
    await driftedSince(db(), '2027-06-01T07:00:00Z');
    const scheduler = off.newScheduler();
    await scheduler.start();
    await scheduler.stop();
    const outside = await setup(
      db(),
      { drift: { remediate: true }, uptime: [{ from: '09:00', to: '17:00' }] },
      '2027-06-01T07:30:00Z',
    );
    const other = outside.newScheduler();
    await other.start();
    await other.stop();
    expect((await listRuns(db(), { limit: 10 })).items).toEqual([]);
  });
});
