import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { EventHub } from '../events/event-hub.ts';
import { createLogger } from '../log/logger.ts';
import { claimNextQueued, getRun, insertRun, updateRunState } from '../run/run.repo.ts';
import type { Run } from '../run/run.ts';
import { ManualClock } from '../time/clock.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { DependencySweep } from './dependency-sweep.ts';
import { queueWithChain, type ChainOptions } from './dependency-queue.ts';
import { DependencyService } from './dependency.service.ts';
import { awaitedRuns, cancelStrandedWaiters, insertWaits, waitingRuns } from './run-wait.repo.ts';

const now = new Date('2027-06-01T07:00:00.000Z');
// app → db → net
const graph = new Map<string, string[]>([
  ['net', []],
  ['db', ['net']],
  ['app', ['db']],
]);

function options(overrides: Partial<ChainOptions> = {}, prefix = 'dep'): ChainOptions {
  let next = 0;
  return {
    graph,
    destroyDependents: true,
    isProtected: () => false,
    configHash: (name) => `hash-${name}`,
    newId: () => `${prefix}-${++next}`,
    ...overrides,
  };
}

const target = (workspace: string, action: 'deploy' | 'destroy' | 'plan', id = `${action}-${workspace}`) => ({
  id,
  workspace,
  action,
  trigger: 'schedule' as const,
  actor: 'scheduler',
  created_at: now,
});

forEachDialect('workspace dependency runs', (harness) => {
  const claim = () =>
    claimNextQueued(harness.db, { owner: 'runner', leaseMs: 30_000, clock: new ManualClock(now) });
  const finish = async (id: string, state: 'succeeded' | 'failed' | 'timed_out') => {
    const run = await getRun(harness.db, id);
    if (run?.state === 'queued')
      await updateRunState(harness.db, id, 'running', now, { lease: { owner: 'r', leaseMs: 30_000 } });
    return updateRunState(harness.db, id, state, now);
  };

  it('queues the dependencies a deploy needs and holds the deploy until they succeeded', async () => {
    const queued = await queueWithChain(harness.db, target('app', 'deploy'), options());
    expect(queued.queued.map((r) => [r.workspace, r.action, r.trigger, r.config_hash, r.actor])).toEqual([
      ['net', 'deploy', 'dependency', 'hash-net', 'scheduler'],
      ['db', 'deploy', 'dependency', 'hash-db', 'scheduler'],
    ]);
    expect((await awaitedRuns(harness.db, 'deploy-app')).map((r) => r.workspace)).toEqual(['db', 'net']);
    expect((await awaitedRuns(harness.db, 'dep-2')).map((r) => r.workspace)).toEqual(['net']);

    expect((await claim())?.workspace).toBe('net');
    expect(await claim()).toBeNull();
    await finish('dep-1', 'succeeded');
    expect((await claim())?.workspace).toBe('db');
    expect(await claim()).toBeNull();
    await finish('dep-2', 'succeeded');
    expect((await claim())?.id).toBe('deploy-app');
  });

  it('queues nothing for dependencies already deployed, and waits for a deploy already queued', async () => {
    await upsertWorkspaceStatus(harness.db, 'net', { status: 'deployed' }, now);
    await insertRun(harness.db, { ...target('db', 'deploy', 'earlier-db'), trigger: 'manual' });
    const queued = await queueWithChain(harness.db, target('app', 'deploy'), options());
    expect(queued.queued).toEqual([]);
    expect(queued.chain?.steps).toEqual([
      { workspace: 'db', run: { kind: 'await', runId: 'earlier-db' }, waitsFor: [] },
    ]);
    expect((await waitingRuns(harness.db, 'earlier-db')).map((r) => r.id)).toEqual(['deploy-app']);
  });

  it('waits for the run a workspace queue ends with: a queued one after the running one, later priority last', async () => {
    // net: a deploy running, a destroy queued behind it (same priority): the queue ends with the destroy.
    await insertRun(harness.db, { ...target('net', 'deploy', 'net-up'), trigger: 'manual' });
    await updateRunState(harness.db, 'net-up', 'running', now, { lease: { owner: 'r', leaseMs: 30_000 } });
    await insertRun(harness.db, { ...target('net', 'destroy', 'net-down'), trigger: 'manual' });
    // db: a scheduled deploy queued after a manual destroy: the deploy runs last (priority 1 after 0).
    await insertRun(harness.db, {
      ...target('db', 'deploy', 'db-up'),
      created_at: new Date(now.getTime() - 1000),
    });
    await insertRun(harness.db, { ...target('db', 'destroy', 'db-down'), trigger: 'manual' });
    // A job of db says nothing about its status.
    await insertRun(harness.db, { ...target('db', 'deploy', 'db-job'), action: 'job', job: 'backup' });
    const queued = await queueWithChain(harness.db, target('app', 'deploy'), options());
    expect(queued.chain?.steps).toEqual([
      { workspace: 'net', run: { kind: 'queue' }, waitsFor: [] },
      { workspace: 'db', run: { kind: 'await', runId: 'db-up' }, waitsFor: ['net'] },
    ]);
    // The queued deploy of db now also waits for the new deploy of net.
    expect((await awaitedRuns(harness.db, 'db-up')).map((r) => r.id)).toEqual(['dep-1']);
    expect((await awaitedRuns(harness.db, 'deploy-app')).map((r) => r.id)).toEqual(['db-up', 'dep-1']);
  });

  it('queues a plan alone', async () => {
    const queued = await queueWithChain(harness.db, target('app', 'plan'), options());
    expect(queued).toMatchObject({ queued: [], chain: null, run: { id: 'plan-app', state: 'queued' } });
  });

  it('cancels the waiters of a failed dependency, and theirs, naming the dependency, its run and outcome', async () => {
    await queueWithChain(harness.db, target('app', 'deploy'), options());
    await finish('dep-1', 'failed');
    const canceled = await cancelStrandedWaiters(harness.db, now);
    expect(canceled.map((r) => [r.id, r.state])).toEqual([
      ['dep-2', 'canceled'],
      ['deploy-app', 'canceled'],
    ]);
    expect((await getRun(harness.db, 'dep-2'))?.reason).toBe('dependency net: run dep-1 failed');
    expect((await getRun(harness.db, 'deploy-app'))?.reason).toBe('dependency net: run dep-1 failed');
    expect(await cancelStrandedWaiters(harness.db, now)).toEqual([]);
    expect(await claim()).toBeNull();
  });

  it('cancels a waiter once when several of its awaited runs failed, and says a bare cancel plainly', async () => {
    await queueWithChain(harness.db, target('app', 'deploy'), options());
    await finish('dep-1', 'failed');
    await finish('dep-2', 'failed');
    expect((await cancelStrandedWaiters(harness.db, now)).map((r) => r.id)).toEqual(['deploy-app']);
    expect((await getRun(harness.db, 'deploy-app'))?.reason).toBe('dependency net: run dep-1 failed');

    await queueWithChain(harness.db, target('db', 'deploy', 'db-2'), options({}, 'again'));
    await updateRunState(harness.db, 'again-1', 'canceled', now);
    await cancelStrandedWaiters(harness.db, now);
    expect((await getRun(harness.db, 'db-2'))?.reason).toBe('dependency net: run again-1 canceled');
  });

  it('breaks a deadlock between crossing chains by canceling the newest waiting run, naming the cycle', async () => {
    // a: a1 ahead of a2; b: b1 ahead of b2. a1 awaits b2 and b1 awaits a2.
    const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
    await insertRun(harness.db, { ...target('a', 'deploy', 'a1'), created_at: at(1) });
    await insertRun(harness.db, { ...target('a', 'deploy', 'a2'), created_at: at(2) });
    await insertRun(harness.db, { ...target('b', 'deploy', 'b1'), created_at: at(1) });
    await insertRun(harness.db, { ...target('b', 'deploy', 'b2'), created_at: at(2) });
    await insertWaits(harness.db, [
      { waiter_run_id: 'a1', awaited_run_id: 'b2', dependency: 'b' },
      { waiter_run_id: 'b1', awaited_run_id: 'a2', dependency: 'a' },
    ]);
    expect(await claim()).toBeNull();
    expect((await cancelStrandedWaiters(harness.db, now)).map((r) => r.id)).toEqual(['b1']);
    expect((await getRun(harness.db, 'b1'))?.reason).toBe(
      'dependency deadlock: a deploy (run a1) → b deploy (run b2) → b deploy (run b1) → a deploy (run a2) → a deploy (run a1); the newest waiting run gives way',
    );
    expect((await claim())?.id).toBe('b2');
    expect(await cancelStrandedWaiters(harness.db, now)).toEqual([]);
  });

  it('names the chain when a waiter waits for a run canceled by its own dependency', async () => {
    await upsertWorkspaceStatus(harness.db, 'net', { status: 'deployed' }, now);
    await queueWithChain(harness.db, target('db', 'deploy'), options());
    await queueWithChain(harness.db, target('app', 'deploy', 'app-run'), options({ newId: () => 'unused' }));
    // app waits for the deploy of db already queued; db's run fails at once.
    await finish('deploy-db', 'timed_out');
    expect((await cancelStrandedWaiters(harness.db, now)).map((r) => r.id)).toEqual(['app-run']);
    expect((await getRun(harness.db, 'app-run'))?.reason).toBe('dependency db: run deploy-db timed_out');
  });

  it('destroys the dependents first, and cancels the destroy when one of them fails, naming it', async () => {
    for (const name of ['net', 'db', 'app'])
      await upsertWorkspaceStatus(harness.db, name, { status: 'deployed' }, now);
    const queued = await queueWithChain(harness.db, target('net', 'destroy'), options());
    expect(queued.queued.map((r) => [r.workspace, r.action])).toEqual([
      ['app', 'destroy'],
      ['db', 'destroy'],
    ]);
    expect((await claim())?.workspace).toBe('app');
    expect(await claim()).toBeNull();
    await finish('dep-1', 'failed');
    await cancelStrandedWaiters(harness.db, now);
    expect((await getRun(harness.db, 'destroy-net'))?.reason).toBe('dependent app: run dep-1 failed');
  });

  it('refuses a destroy with dependents up unless asked to destroy them, and through a protected one', async () => {
    await upsertWorkspaceStatus(harness.db, 'app', { status: 'deployed' }, now);
    await expect(
      queueWithChain(harness.db, target('db', 'destroy'), options({ destroyDependents: false })),
    ).rejects.toMatchObject({
      code: 'conflict',
      message:
        'workspace "db" has dependent that would be destroyed first: "app" (order: app → db); pass --with-dependents (with_dependents: true) to destroy them too',
    });
    await expect(
      queueWithChain(harness.db, target('db', 'destroy'), options({ isProtected: (n) => n === 'app' })),
    ).rejects.toMatchObject({
      code: 'conflict',
      message:
        'workspace "db" cannot be destroyed: dependent "app" is protected (protect: true) and would be destroyed first',
    });
    await expect(
      queueWithChain(
        harness.db,
        target('db', 'destroy'),
        options({ heldBy: (n) => (n === 'app' ? 'prod' : null) }),
      ),
    ).rejects.toMatchObject({
      code: 'conflict',
      message:
        'workspace "db" cannot be destroyed: dependent "app" (environment "prod") would be destroyed first; switch the environment to another workspace first',
      details: { environment_dependents: ['app'] },
    });
    expect(await getRun(harness.db, 'destroy-db')).toBeNull();
  });

  it('shows a run’s chain: what it waits for, in run order, and what waits for it', async () => {
    await queueWithChain(harness.db, target('app', 'deploy'), options());
    const service = new DependencyService({ db: harness.db });
    const chain = await service.runDependencies('deploy-app');
    expect(chain.waits_for.map((r) => [r.run_id, r.workspace, r.waits_for])).toEqual([
      ['dep-1', 'net', []],
      ['dep-2', 'db', ['dep-1']],
    ]);
    expect(chain.needed_by).toEqual([]);
    const net = await service.runDependencies('dep-1');
    expect(net.needed_by.map((r) => r.run_id)).toEqual(['deploy-app', 'dep-2']);
    await expect(service.runDependencies('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('sweeps at start and whenever a run ends without succeeding, announcing each canceled run', async () => {
    await queueWithChain(harness.db, target('db', 'deploy'), options());
    await finish('dep-1', 'failed');
    const hub = new EventHub();
    const announced: Run[] = [];
    hub.on('run.updated', (run) => {
      if (run.state === 'canceled') announced.push(run);
    });
    const never = { set: () => 0, clear: () => undefined };
    const sweep = new DependencySweep({
      db: harness.db,
      hub,
      clock: new ManualClock(now),
      logger: createLogger('silent'),
      timers: never,
    });
    const stop = new AbortController();
    const up = new Promise<void>((resolve) => void sweep.start(stop.signal, resolve));
    await up;
    expect(announced.map((r) => r.id)).toEqual(['deploy-db']);

    await queueWithChain(harness.db, target('app', 'deploy'), options({}, 'second'));
    const failed = await finish('second-1', 'failed');
    const next = new Promise<Run>((resolve) =>
      hub.on('run.updated', (run) => run.id === 'deploy-app' && resolve(run)),
    );
    hub.emit('run.updated', failed);
    expect(await next).toMatchObject({ state: 'canceled' });
    stop.abort();
  });
});
