import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { startStateBackendServer, type StateBackendServer } from '../../test/helpers/state-backend-server.ts';
import type { JobDefinition } from '../config/config-model.ts';
import type { Engine } from '../engine/engine.ts';
import { testEngine, testEnv } from '../engine/test-engine.ts';
import { EventHub } from '../events/event-hub.ts';
import { migrateToLatest } from '../store/migrate.ts';
import type { Db } from '../store/schema.ts';
import { Supervisor, type SupervisorOptions } from '../supervisor/supervisor.ts';
import { nextHealth } from '../supervisor/test-supervision.ts';
import { ManualClock, systemClock } from '../time/clock.ts';
import { jobDefinition, nextRunUpdate, silentLogger, workspaceDefinition } from './executor/test-fixtures.ts';
import { claimNextQueued, getRun, insertRun, updateRunState } from './run.repo.ts';
import { isDone } from './run-state.ts';
import { RunService } from './run.service.ts';
import type { Run } from './run.ts';
import { RunWorker, type RunWorkerOptions } from './run-worker.ts';

forEachDialect('the run worker', (harness) => {
  let root: string;
  let engine: Engine;
  let stateServer: StateBackendServer;
  let hub: EventHub;
  let service: RunService;
  let worker: RunWorker | undefined;
  let supervisor: Supervisor | undefined;
  const jobs = new Map<string, JobDefinition>();

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'tide-worker-'));
    engine = await testEngine();
    stateServer = await startStateBackendServer(harness.db);
  });
  afterAll(async () => {
    await stateServer.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    hub = new EventHub();
    service = new RunService({ db: harness.db, hub, clock: systemClock });
    jobs.clear();
  });
  afterEach(async () => {
    await supervisor?.stop(['run-worker']);
    await worker?.stop({ graceMs: 0 });
    await supervisor?.stop();
    worker = undefined;
    supervisor = undefined;
  });

  /** A job `name` in workspace `workspace` running a shell command. */
  function addJob(workspace: string, name: string, command: string): void {
    jobs.set(`${workspace}/${name}`, jobDefinition({ name, scope: workspace, workspace, command }));
  }

  /** Starts a worker's loops under a supervisor, as the daemon does. */
  async function startWorker(
    options: Partial<RunWorkerOptions> = {},
    supervision: Partial<SupervisorOptions> = {},
  ): Promise<RunWorker> {
    worker = new RunWorker({
      db: harness.db,
      hub,
      clock: systemClock,
      logger: silentLogger,
      dataDir: await mkdtemp(path.join(root, 'data-')),
      engine,
      stateBackend: stateServer.endpoint,
      resolveWorkspace: (name) => workspaceDefinition({ name }),
      resolveJob: (workspace, job) => jobs.get(`${workspace}/${job}`),
      resolveTemplate: () => undefined,
      baseEnv: testEnv,
      runnerId: 'runner-1',
      // Long enough that only events wake the worker in these tests.
      pollIntervalMs: 60_000,
      graceMs: 2_000,
      ...options,
    });
    supervisor = new Supervisor({ logger: silentLogger, ...supervision });
    for (const subsystem of worker.subsystems) supervisor.add(subsystem);
    await supervisor.start();
    return worker;
  }

  /** The run.updated events' "id:state", from now on, for runs that start or finish. */
  function recordTransitions(): string[] {
    const seen: string[] = [];
    hub.on('run.updated', (run) => {
      if (run.state === 'running' || isDone(run.state)) seen.push(`${run.workspace}:${run.state}`);
    });
    return seen;
  }

  const finished = (id: string) => nextRunUpdate(hub, (run) => run.id === id && isDone(run.state));

  it("removes a finished run's directory after freeing its slot, and stop() waits for the removals", async () => {
    addJob('alpha', 'tick', 'echo alpha');
    addJob('beta', 'tick', 'echo beta');
    const dataDir = await mkdtemp(path.join(root, 'data-'));
    const runs = await Promise.all(
      ['alpha', 'beta'].map((workspace) =>
        service.enqueue({ workspace, job: 'tick', action: 'job', trigger: 'manual' }),
      ),
    );
    const done = Promise.all(runs.map((run) => finished(run.id)));
    const started = await startWorker({ dataDir, maxConcurrentRuns: 1 });
    expect((await done).map((run) => run.state)).toEqual(['succeeded', 'succeeded']);
    await started.stop({ graceMs: 0 });
    expect(readdirSync(path.join(dataDir, 'runs'))).toEqual([]);
  });

  it('respects the concurrency limit: with a limit of 1 the second workspace starts after the first ends', async () => {
    addJob('alpha', 'tick', 'sleep 0.3; echo alpha');
    addJob('beta', 'tick', 'sleep 0.3; echo beta');
    const first = await service.enqueue({
      workspace: 'alpha',
      job: 'tick',
      action: 'job',
      trigger: 'schedule',
    });
    const second = await service.enqueue({
      workspace: 'beta',
      job: 'tick',
      action: 'job',
      trigger: 'schedule',
    });
    const transitions = recordTransitions();
    const done = Promise.all([finished(first.id), finished(second.id)]);
    await startWorker({ maxConcurrentRuns: 1 });
    const runs = await done;
    // Both were queued in the same millisecond maybe: which goes first is the id's tie-break.
    const [one, two] = runs.sort((x, y) => (x.started_at ?? '').localeCompare(y.started_at ?? ''));
    const [a = '', b = ''] = [one?.workspace, two?.workspace];
    expect(transitions).toEqual([`${a}:running`, `${a}:succeeded`, `${b}:running`, `${b}:succeeded`]);
    expect(Date.parse(two?.started_at ?? '')).toBeGreaterThanOrEqual(Date.parse(one?.finished_at ?? ''));
  });

  it('runs up to the limit at once', async () => {
    addJob('alpha', 'tick', 'sleep 0.3');
    addJob('beta', 'tick', 'sleep 0.3');
    const first = await service.enqueue({
      workspace: 'alpha',
      job: 'tick',
      action: 'job',
      trigger: 'schedule',
    });
    const second = await service.enqueue({
      workspace: 'beta',
      job: 'tick',
      action: 'job',
      trigger: 'schedule',
    });
    const transitions = recordTransitions();
    const done = Promise.all([finished(first.id), finished(second.id)]);
    await startWorker({ maxConcurrentRuns: 2 });
    await done;
    expect(transitions.slice(0, 2).sort()).toEqual(['alpha:running', 'beta:running']);
  });

  it('claims a manual run (priority 0) before an older scheduled one', async () => {
    addJob('alpha', 'tick', 'true');
    addJob('beta', 'tick', 'true');
    const scheduled = await service.enqueue({
      workspace: 'alpha',
      job: 'tick',
      action: 'job',
      trigger: 'schedule',
    });
    const manual = await service.enqueue({
      workspace: 'beta',
      job: 'tick',
      action: 'job',
      trigger: 'manual',
    });
    const transitions = recordTransitions();
    const done = Promise.all([finished(scheduled.id), finished(manual.id)]);
    await startWorker({ maxConcurrentRuns: 1 });
    await done;
    expect(transitions).toEqual(['beta:running', 'beta:succeeded', 'alpha:running', 'alpha:succeeded']);
  });

  it('wakes at once when a run is queued while it is idle', async () => {
    addJob('alpha', 'tick', 'true');
    await startWorker();
    const queued = await service.enqueue({ workspace: 'alpha', job: 'tick', action: 'job', trigger: 'api' });
    expect(await finished(queued.id)).toMatchObject({ state: 'succeeded' });
  });

  it('wakes at once when a run holding the workspace finishes on another replica', async () => {
    addJob('alpha', 'tick', 'true');
    const elsewhere = await service.enqueue({
      workspace: 'alpha',
      job: 'tick',
      action: 'job',
      trigger: 'api',
    });
    await claimNextQueued(harness.db, { owner: 'replica-b', leaseMs: 60_000, clock: systemClock });
    const next = await service.enqueue({ workspace: 'alpha', job: 'tick', action: 'job', trigger: 'api' });
    await startWorker();
    expect((await getRun(harness.db, next.id))?.state).toBe('queued');
    // What the event relay delivers when replica B records the end of its run.
    hub.emit('run.updated', await updateRunState(harness.db, elsewhere.id, 'succeeded', new Date()));
    expect(await finished(next.id)).toMatchObject({ state: 'succeeded' });
  });

  it('on stop, cancels runs still going after the grace period and releases their leases', async () => {
    addJob('alpha', 'long', 'sleep 30');
    const run = await service.enqueue({ workspace: 'alpha', job: 'long', action: 'job', trigger: 'manual' });
    const running = nextRunUpdate(hub, (r) => r.id === run.id && r.state === 'running');
    const started = await startWorker();
    await running;
    await supervisor!.stop(['run-worker']);
    await started.stop({ graceMs: 100 });
    expect(await getRun(harness.db, run.id)).toMatchObject({
      state: 'canceled',
      reason: 'canceled during job: the runner shut down',
      lease_expires_at: null,
    });
    expect(started.active).toBe(0);
  });

  it('marks runs orphaned by a dead runner failed at start, then runs the workspace again', async () => {
    addJob('alpha', 'tick', 'true');
    const orphan = await service.enqueue({
      workspace: 'alpha',
      job: 'tick',
      action: 'job',
      trigger: 'schedule',
    });
    // A runner that claimed it a minute ago with a one-second lease and died.
    await claimNextQueued(harness.db, {
      owner: 'dead',
      leaseMs: 1_000,
      clock: new ManualClock(new Date(Date.now() - 60_000)),
    });
    const next = await service.enqueue({
      workspace: 'alpha',
      job: 'tick',
      action: 'job',
      trigger: 'schedule',
    });
    const reaped = nextRunUpdate(hub, (run) => run.id === orphan.id && isDone(run.state));
    const done = finished(next.id);
    await startWorker();
    expect(await reaped).toMatchObject({ state: 'failed', reason: 'orphaned' });
    expect(await done).toMatchObject({ state: 'succeeded' });
  });

  it("removes run directories left by finished runs at start, keeping running runs' and the state", async () => {
    const dataDir = await mkdtemp(path.join(root, 'data-'));
    addJob('alpha', 'tick', 'true');
    const done = await service.enqueue({ workspace: 'alpha', job: 'tick', action: 'job', trigger: 'manual' });
    await service.cancel(done.id, 'bob');
    await insertRun(harness.db, {
      id: 'elsewhere',
      workspace: 'beta',
      action: 'deploy',
      trigger: 'manual',
      created_at: new Date(),
    });
    await claimNextQueued(harness.db, { owner: 'other-replica', leaseMs: 60_000, clock: systemClock });
    for (const dir of [`runs/${done.id}/work`, 'runs/unknown-run', 'runs/elsewhere/work', 'state/beta']) {
      await mkdir(path.join(dataDir, dir), { recursive: true });
    }
    await startWorker({ dataDir });
    // The sweep removes directories one after another: wait for its end state, not its first step.
    await waitUntil(() => readdirSync(path.join(dataDir, 'runs')).join() === 'elsewhere');
    expect(readdirSync(path.join(dataDir, 'runs')).sort()).toEqual(['elsewhere']);
    expect(existsSync(path.join(dataDir, 'state', 'beta'))).toBe(true);
  });

  it('keeps claiming after the store fails: the claim loop is restarted with backoff until it works', async () => {
    const store = await harness.open(await harness.freshDatabase());
    addJob('alpha', 'tick', 'true');
    // Not migrated yet: every claim fails until the schema appears.
    await startWorker({ db: store.db as Db, pollIntervalMs: 25 }, { minBackoffMs: 5, maxBackoffMs: 20 });
    expect(supervisor!.health().find((health) => health.name === 'run-worker')).toMatchObject({
      state: 'restarting',
      error: expect.stringMatching(/runs/),
    });
    await nextHealth(supervisor!, 'run-worker', 'restarting');
    const up = nextHealth(supervisor!, 'run-worker', 'up');
    await migrateToLatest(store);
    await up;
    const later = new RunService({ db: store.db, hub, clock: systemClock });
    const run = await later.enqueue({ workspace: 'alpha', job: 'tick', action: 'job', trigger: 'manual' });
    const done: Run = await finished(run.id);
    expect(done.state).toBe('succeeded');
    expect(supervisor!.health().find((health) => health.name === 'run-worker')!.restarts).toBeGreaterThan(0);
  });
});

/** Polls a condition, bounded (10 s). */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (const until = Date.now() + 10_000; !condition();) {
    if (Date.now() > until) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
