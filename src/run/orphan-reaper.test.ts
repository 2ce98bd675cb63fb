import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { failWorkspaceStatusUpdates } from '../../test/helpers/failing-updates.ts';
import { EventHub } from '../events/event-hub.ts';
import { ManualClock } from '../time/clock.ts';
import { getWorkspaceStatus, upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { changeAtStart } from './executor/workspace-outcome.ts';
import { reapOrphans } from './orphan-reaper.ts';
import { recordRunStart } from './run-outcome.repo.ts';
import { claimNextQueued, getRun, insertRun } from './run.repo.ts';
import type { Run } from './run.ts';

const t0 = Date.parse('2025-03-03T07:00:00.000Z');
const at = (seconds: number): Date => new Date(t0 + seconds * 1000);

forEachDialect('reaping orphaned runs', (harness) => {
  /** A runner that claims with a short lease and then dies: it never renews. */
  async function claimedByDeadRunner(
    id: string,
    workspace: string,
    action: Run['action'] = 'deploy',
  ): Promise<Run> {
    await insertRun(harness.db, { id, workspace, action, trigger: 'schedule', created_at: at(0) });
    const run = await claimNextQueued(harness.db, {
      owner: 'dead-runner',
      leaseMs: 1_000,
      clock: new ManualClock(at(1)),
    });
    expect(run?.id).toBe(id);
    return run!;
  }

  /** …after marking its workspace deploying / destroying, as the executor does first. */
  async function startedByDeadRunner(id: string, workspace: string, action: Run['action']): Promise<Run> {
    const run = await claimedByDeadRunner(id, workspace, action);
    const fence = { owner: 'dead-runner', fencingToken: run.fencing_token };
    await recordRunStart(harness.db, run, fence, changeAtStart(run)!, at(1));
    return run;
  }

  it('marks a running run whose lease expired failed with reason orphaned, and the workspace can run again', async () => {
    await claimedByDeadRunner('r1', 'web');
    const hub = new EventHub();
    const events: Run[] = [];
    hub.on('run.updated', (run) => events.push(run));
    const reaped = await reapOrphans(harness.db, at(10), hub);
    expect(reaped.map((run) => run.id)).toEqual(['r1']);
    expect(await getRun(harness.db, 'r1')).toMatchObject({
      state: 'failed',
      reason: 'orphaned',
      lease_expires_at: null,
    });
    expect(events.map((run) => [run.id, run.state])).toEqual([['r1', 'failed']]);
    await insertRun(harness.db, {
      id: 'r2',
      workspace: 'web',
      action: 'deploy',
      trigger: 'manual',
      created_at: at(11),
    });
    expect(
      await claimNextQueued(harness.db, { owner: 'alive', leaseMs: 30_000, clock: new ManualClock(at(12)) }),
    ).toMatchObject({ id: 'r2' });
  });

  it('repairs the workspace status: deploying becomes deploy_failed, destroying becomes destroy_failed', async () => {
    await startedByDeadRunner('d1', 'up', 'deploy');
    await startedByDeadRunner('d2', 'down', 'destroy');
    const hub = new EventHub();
    const statuses: string[] = [];
    hub.on('workspace.status', (event) => statuses.push(`${event.workspace}:${event.status}`));
    await reapOrphans(harness.db, at(10), hub);
    expect(await getWorkspaceStatus(harness.db, 'up')).toMatchObject({
      status: 'deploy_failed',
      status_before_run: null,
      last_run_id: 'd1',
    });
    expect(await getWorkspaceStatus(harness.db, 'down')).toMatchObject({
      status: 'destroy_failed',
      last_run_id: 'd2',
    });
    expect(statuses.sort()).toEqual(['down:destroy_failed', 'up:deploy_failed']);
  });

  it('keeps the run running when its workspace cannot be repaired, so the pair never disagrees', async () => {
    await startedByDeadRunner('d1', 'up', 'deploy');
    const removeFailure = await failWorkspaceStatusUpdates(harness.db, 'deploy_failed');
    try {
      await expect(reapOrphans(harness.db, at(10), new EventHub())).rejects.toThrow(/simulated crash/);
    } finally {
      await removeFailure();
    }
    expect(await getRun(harness.db, 'd1')).toMatchObject({ state: 'running' });
    expect(await getWorkspaceStatus(harness.db, 'up')).toMatchObject({ status: 'deploying' });
    await reapOrphans(harness.db, at(11), new EventHub());
    expect(await getRun(harness.db, 'd1')).toMatchObject({ state: 'failed', reason: 'orphaned' });
    expect(await getWorkspaceStatus(harness.db, 'up')).toMatchObject({ status: 'deploy_failed' });
  });

  it('leaves the status alone when the runner died before marking the workspace', async () => {
    await upsertWorkspaceStatus(harness.db, 'web', { status: 'deployed' }, at(0));
    await claimedByDeadRunner('r1', 'web', 'destroy');
    await reapOrphans(harness.db, at(10), new EventHub());
    expect(await getWorkspaceStatus(harness.db, 'web')).toMatchObject({ status: 'deployed' });
  });

  it('leaves runs with a live lease alone', async () => {
    await claimedByDeadRunner('live', 'web');
    expect(await reapOrphans(harness.db, at(1.5), new EventHub())).toEqual([]);
    expect(await getRun(harness.db, 'live')).toMatchObject({ state: 'running' });
  });

  it('does not touch the status of a workspace that is not mid-change', async () => {
    await claimedByDeadRunner('p1', 'checked', 'plan');
    await upsertWorkspaceStatus(harness.db, 'checked', { status: 'deployed' }, at(1));
    await reapOrphans(harness.db, at(10), new EventHub());
    expect(await getWorkspaceStatus(harness.db, 'checked')).toMatchObject({ status: 'deployed' });
  });
});
