import { expect, it } from 'vitest';
import { forEachDialect } from '../../../test/helpers/databases.ts';
import { failWrites } from '../../../test/helpers/failing-writes.ts';
import { Supervisor } from '../../supervisor/supervisor.ts';
import { nextHealth, TestTimers } from '../../supervisor/test-supervision.ts';
import { ManualClock } from '../../time/clock.ts';
import { claimNextQueued, getRun, insertRun, updateRunState } from '../run.repo.ts';
import type { Run } from '../run.ts';
import { LeaseKeeper, type StopReason } from './run-lease.ts';
import { silentLogger } from './test-fixtures.ts';

const T0 = '2027-06-01T07:00:00.000Z';
const LEASE_MS = 30_000;

forEachDialect('the lease watch', (harness) => {
  /** Two runs of different workspaces claimed by `runner-1`, a keeper for them, and what it stopped. */
  async function setup() {
    const clock = new ManualClock(T0);
    const runs: Run[] = [];
    for (const workspace of ['alpha', 'beta']) {
      await insertRun(harness.db, {
        id: workspace,
        workspace,
        action: 'deploy',
        trigger: 'api',
        created_at: clock.now(),
      });
      runs.push((await claimNextQueued(harness.db, { owner: 'runner-1', leaseMs: LEASE_MS, clock }))!);
    }
    const sleeps = new TestTimers();
    const backoff = new TestTimers();
    const keeper = new LeaseKeeper({
      db: harness.db,
      clock,
      logger: silentLogger,
      leaseMs: LEASE_MS,
      timers: sleeps,
    });
    const supervisor = new Supervisor({ logger: silentLogger, timers: backoff }).add(keeper);
    await supervisor.start();
    const stopped: string[] = [];
    for (const run of runs) keeper.hold(run, (reason: StopReason) => stopped.push(`${run.id}:${reason}`));
    /** Moves the clock to the next heartbeat and waits until the keeper sleeps again. */
    const heartbeat = async () => {
      clock.advance(LEASE_MS / 3);
      sleeps.fire();
      await sleeps.armed();
    };
    const expiry = async (id: string) => (await getRun(harness.db, id))!.lease_expires_at;
    return { clock, keeper, supervisor, backoff, sleeps, stopped, heartbeat, expiry };
  }

  it('renews every lease it holds on one heartbeat, and stops a run whose lease was taken over', async () => {
    const { supervisor, stopped, heartbeat, expiry } = await setup();
    await heartbeat();
    expect(await expiry('alpha')).toBe('2027-06-01T07:00:40.000Z');
    expect(await expiry('beta')).toBe('2027-06-01T07:00:40.000Z');
    // Another replica's reaper decided `beta` was orphaned: this runner must stop writing for it.
    await updateRunState(harness.db, 'beta', 'failed', new Date('2027-06-01T07:00:15.000Z'), {
      reason: 'orphaned',
    });
    await heartbeat();
    expect(stopped).toEqual(['beta:lease_lost']);
    expect(await expiry('alpha')).toBe('2027-06-01T07:00:50.000Z');
    await supervisor.stop();
  });

  it('shows lease-watch restarting while the database refuses heartbeats, and retries within a heartbeat', async () => {
    const { supervisor, backoff, sleeps, clock, stopped, expiry } = await setup();
    const restore = await failWrites(harness.db, 'runs', { on: 'update', message: 'runs are read-only' });
    const restarting = nextHealth(supervisor, 'lease-watch', 'restarting');
    clock.advance(LEASE_MS / 3);
    sleeps.fire();
    expect(await restarting).toMatchObject({
      error: expect.stringContaining('runs are read-only'),
      retryInMs: 1_000,
    });
    await restore();
    const up = nextHealth(supervisor, 'lease-watch', 'up');
    clock.advance(1_000);
    backoff.fire();
    await up;
    expect(await expiry('alpha')).toBe('2027-06-01T07:00:41.000Z');
    expect(stopped).toEqual([]);
    await supervisor.stop();
  });

  it('stops its runs itself when it could not renew for all but one heartbeat of the lease (self-fencing)', async () => {
    const { supervisor, backoff, sleeps, clock, stopped } = await setup();
    const restore = await failWrites(harness.db, 'runs', { on: 'update', message: 'database away' });
    // 10 s after the claim: one heartbeat missed, 20 s of lease left, the runs go on.
    let restarting = nextHealth(supervisor, 'lease-watch', 'restarting');
    clock.advance(LEASE_MS / 3);
    sleeps.fire();
    await restarting;
    expect(stopped).toEqual([]);
    // 20 s after the claim: only one heartbeat of the lease is left; stopping now ends the engine (SIGINT,
    // then SIGKILL after the grace period) about when the lease runs out and another runner may start.
    restarting = nextHealth(supervisor, 'lease-watch', 'restarting');
    clock.advance(LEASE_MS / 3);
    backoff.fire();
    await restarting;
    expect(stopped.sort()).toEqual(['alpha:lease_lost', 'beta:lease_lost']);
    await restore();
    await supervisor.stop();
  });
});
