import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { ManualClock } from '../time/clock.ts';
import { chainOf, insertChain, settleWithoutRetry, type ChainPlan } from './job-chain.repo.ts';
import { cancelQueuedRun, finishRun, queueChain } from './run-outcome.repo.ts';
import { claimNextQueued, getRun, insertRun } from './run.repo.ts';
import type { Run } from './run.ts';
import { RunService } from './run.service.ts';
import { EventHub } from '../events/event-hub.ts';

const t0 = new Date('2025-03-03T07:00:00.000Z');
const LEASE_MS = 30_000;

/** a → b → c, and d depending on a only: the shape of docs/jobs.md's example. */
function plan(overrides: Partial<ChainPlan> = {}): ChainPlan {
  return {
    workspace: 'web',
    trigger: '@deployment',
    runTrigger: 'event',
    actor: 'event',
    sourceRunId: 'deploy-1',
    runs: [
      { job: 'a', workspace: 'web', action: 'job', dependsOn: [] },
      { job: 'b', workspace: 'web', action: 'job', dependsOn: ['a'] },
      { job: 'c', workspace: 'web', action: 'job', dependsOn: ['b', 'not-in-chain'] },
      { job: 'd', workspace: 'web', action: 'job', dependsOn: ['a'] },
    ],
    ...overrides,
  };
}

forEachDialect('job chains', (harness) => {
  const clock = new ManualClock(t0);
  const claim = (): Promise<Run | null> =>
    claimNextQueued(harness.db, { owner: 'runner', leaseMs: LEASE_MS, clock });
  const finish = (run: Run, state: 'succeeded' | 'failed' | 'timed_out') =>
    finishRun(harness.db, run.id, state, clock.now(), {}, () => null);
  const byJob = async (runs: readonly Run[]) =>
    Object.fromEntries(
      await Promise.all(runs.map(async (run) => [run.job, (await getRun(harness.db, run.id))!] as const)),
    );

  it('claims a chained job only once everything it depends on in the chain succeeded, in order', async () => {
    const runs = await queueChain(harness.db, plan(), clock.now());
    expect(runs.map((run) => run.job)).toEqual(['a', 'b', 'c', 'd']);
    const a = await claim();
    expect(a?.job).toBe('a');
    // b, c and d wait for a (they share a's lock key, and wait in their chain regardless).
    expect(await claim()).toBeNull();
    const released = await finish(a!, 'succeeded');
    expect(released.chained.map((run) => run.job).sort()).toEqual(['b', 'd']);
    const b = await claim();
    expect(b?.job).toBe('b');
    await finish(b!, 'succeeded');
    const next = await claim();
    expect(next?.job).toBe('c');
    expect(await chainOf(harness.db, next!.id)).toMatchObject({
      trigger: '@deployment',
      sourceRunId: 'deploy-1',
      dependsOn: ['b'],
      waitingOn: [],
    });
  });

  it('skips every job that depends on a failed one, naming the failed job and its run', async () => {
    const runs = await queueChain(harness.db, plan(), clock.now());
    const a = await claim();
    await finish(a!, 'succeeded');
    const b = await claim();
    expect(b?.job).toBe('b');
    const outcome = await finish(b!, 'failed');
    expect(outcome.chained.map((run) => [run.job, run.state])).toEqual([['c', 'skipped']]);
    const after = await byJob(runs);
    expect(after.c).toMatchObject({ state: 'skipped', reason: `skipped: job b failed (run ${b!.id})` });
    expect(after.c?.finished_at).not.toBeNull();
    // d depends on a only: it still runs.
    expect((await claim())?.job).toBe('d');
  });

  it('skips transitively when the first job times out, each reason naming the job that broke the chain', async () => {
    const runs = await queueChain(harness.db, plan(), clock.now());
    const a = await claim();
    await finish(a!, 'timed_out');
    const after = await byJob(runs);
    for (const job of ['b', 'c', 'd']) {
      expect(after[job]).toMatchObject({
        state: 'skipped',
        reason: `skipped: job a timed out (run ${a!.id})`,
      });
    }
    expect(await claim()).toBeNull();
  });

  it('skips the dependents of a queued job canceled by hand', async () => {
    const runs = await queueChain(harness.db, plan(), clock.now());
    const { chained } = await cancelQueuedRun(harness.db, runs[0]!.id, clock.now(), 'canceled by admin');
    expect(chained.map((run) => run.job).sort()).toEqual(['b', 'c', 'd']);
    expect((await byJob(runs)).b?.reason).toBe(`skipped: job a canceled (run ${runs[0]!.id})`);
  });

  it('lets a waiting job hold up no other run of its lock key', async () => {
    await queueChain(harness.db, plan(), clock.now());
    const a = await claim();
    await insertRun(harness.db, {
      id: 'deploy-2',
      workspace: 'web',
      action: 'deploy',
      trigger: 'schedule',
      created_at: new Date(t0.getTime() + 60_000),
    });
    // a is running: the workspace's lock key is busy.
    expect(await claim()).toBeNull();
    await finish(a!, 'succeeded');
    // b and d are claimable now and older than the deploy.
    expect((await claim())?.job).toBe('b');
  });

  it('makes a run already queued (a cron firing) the first job of its chain', async () => {
    const root = await insertRun(harness.db, {
      id: 'cron-a',
      workspace: 'web',
      job: 'a',
      action: 'job',
      trigger: 'schedule',
      created_at: clock.now(),
    });
    const queued = await harness.db.transaction().execute((trx) =>
      insertChain(
        trx,
        plan({ trigger: 'schedule', runTrigger: 'schedule', sourceRunId: null, root }),
        {
          chainId: 'chain-1',
          runId: (() => {
            let n = 0;
            return () => `chained-${++n}`;
          })(),
        },
        clock.now(),
      ),
    );
    expect(queued.map((run) => run.job)).toEqual(['b', 'c', 'd']);
    expect(await chainOf(harness.db, 'cron-a')).toMatchObject({ sourceRunId: 'cron-a', waitingOn: [] });
    expect((await claim())?.id).toBe('cron-a');
  });

  it('keeps dependents waiting while a failed job will be retried, and moves on with the retry', async () => {
    const retrying = plan({
      runs: [
        { job: 'a', workspace: 'web', action: 'job', dependsOn: [], retries: 1 },
        { job: 'b', workspace: 'web', action: 'job', dependsOn: ['a'] },
      ],
    });
    const runs = await queueChain(harness.db, retrying, clock.now());
    const first = await claim();
    const outcome = await finish(first!, 'failed');
    expect(outcome.chained).toEqual([]);
    expect((await getRun(harness.db, runs[1]!.id))?.state).toBe('queued');
    expect(await claim()).toBeNull();
    const service = new RunService({ db: harness.db, hub: new EventHub(), clock });
    const retry = await service.enqueue({
      workspace: 'web',
      job: 'a',
      action: 'job',
      trigger: 'retry',
      attempt: 2,
      retryOf: first!.id,
    });
    expect(await chainOf(harness.db, retry.id)).toMatchObject({ waitingOn: [] });
    expect((await claim())?.id).toBe(retry.id);
    // The second attempt is the last: its failure skips b, naming the retry.
    await finish((await getRun(harness.db, retry.id))!, 'failed');
    expect(await getRun(harness.db, runs[1]!.id)).toMatchObject({
      state: 'skipped',
      reason: `skipped: job a failed (run ${retry.id})`,
    });
  });

  it('skips the dependents waiting for a retry when the scheduler decides there will be none', async () => {
    const runs = await queueChain(
      harness.db,
      plan({
        runs: [
          { job: 'a', workspace: 'web', action: 'job', dependsOn: [], retries: 3 },
          { job: 'b', workspace: 'web', action: 'job', dependsOn: ['a'] },
        ],
      }),
      clock.now(),
    );
    const first = await claim();
    const { run: failed } = await finish(first!, 'failed');
    expect((await getRun(harness.db, runs[1]!.id))?.state).toBe('queued');
    const skipped = await settleWithoutRetry(harness.db, failed, clock.now());
    expect(skipped.map((run) => [run.job, run.state])).toEqual([['b', 'skipped']]);
    // Settling again changes nothing.
    expect(await settleWithoutRetry(harness.db, failed, clock.now())).toEqual([]);
  });
});
