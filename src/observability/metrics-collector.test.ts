import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { fixtureConfigDir, loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { ConfigProblem } from '../config/config-model.ts';
import type { ReloadEvent } from '../config/config-watcher.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { EventHub } from '../events/event-hub.ts';
import { recordFiring } from '../schedule/firing.repo.ts';
import { updateRunState } from '../run/run.repo.ts';
import { RunService } from '../run/run.service.ts';
import type { Db } from '../store/schema.ts';
import { ManualClock } from '../time/clock.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { MetricsCollector } from './metrics-collector.ts';
import { createMetrics, type TideMetrics } from './metrics.ts';
import { sampleValue } from './test-scrape.ts';

const T0 = '2027-03-15T08:00:00.000Z';

/** The config watcher as the collector sees it: reload and error events, and the configuration in force. */
class FakeWatcher extends EventEmitter<{ reload: [ReloadEvent]; error: [Error] }> {
  constructor(readonly config: EffectiveConfig) {
    super();
  }
  current(): EffectiveConfig {
    return this.config;
  }
}

const problem = (severity: ConfigProblem['severity']): ConfigProblem => ({
  severity,
  file: 'workspaces/web/config.json',
  path: 'deploy_schedule',
  message: 'not a cron expression',
  unit: { kind: 'workspace', name: 'web' },
});

let config: EffectiveConfig;
const configDir = fixtureConfigDir();
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

forEachDialect('metrics collector', (harness) => {
  let metrics: TideMetrics;
  let hub: EventHub;
  let clock: ManualClock;
  let runs: RunService;
  let watcher: FakeWatcher;
  let collector: MetricsCollector;
  let stop = async (): Promise<void> => undefined;
  const worker = { active: 0 };

  /** Starts the collector the way the supervisor does; it listens from here until stop(). */
  const start = (db: Db = harness.db) => {
    collector = new MetricsCollector({
      metrics,
      db,
      hub,
      watcher,
      worker,
      logger: pino({ level: 'silent' }),
    });
    const controller = new AbortController();
    const running = collector.start(controller.signal, () => undefined);
    stop = async () => {
      controller.abort();
      await running;
    };
  };
  const scrape = () => metrics.registry.metrics();

  /** Claims and finishes a queued run the way the executor does, announcing each step. */
  const execute = async (id: string, result: 'succeeded' | 'failed', seconds: number) => {
    const running = await updateRunState(harness.db, id, 'running', clock.now(), {
      lease: { owner: 'test', leaseMs: 60_000 },
    });
    hub.emit('run.updated', running);
    clock.advance(seconds * 1000);
    const done = await updateRunState(harness.db, id, result, clock.now(), { exit_code: 0 });
    hub.emit('run.updated', done);
    return { running, done };
  };

  beforeEach(() => {
    metrics = createMetrics();
    hub = new EventHub();
    clock = new ManualClock(T0);
    runs = new RunService({ db: harness.db, hub, clock });
    watcher = new FakeWatcher(config);
    worker.active = 0;
  });
  afterEach(() => stop());

  it('counts a finished run by action, trigger and result and times it from start to end', async () => {
    start();
    const run = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    await execute(run.id, 'succeeded', 42);
    const text = await scrape();
    expect(
      sampleValue(text, 'tide_runs_total', { action: 'deploy', trigger: 'api', result: 'succeeded' }),
    ).toBe(1);
    expect(sampleValue(text, 'tide_run_duration_seconds_count', { action: 'deploy' })).toBe(1);
    expect(sampleValue(text, 'tide_run_duration_seconds_sum', { action: 'deploy' })).toBe(42);
  });

  it('counts a run canceled while queued without giving it a duration', async () => {
    start();
    const run = await runs.enqueue({ workspace: 'web', action: 'destroy', trigger: 'manual' });
    await runs.cancel(run.id, 'alice');
    const text = await scrape();
    expect(sampleValue(text, 'tide_runs_total', { action: 'destroy', result: 'canceled' })).toBe(1);
    expect(sampleValue(text, 'tide_run_duration_seconds_count', { action: 'destroy' })).toBeUndefined();
  });

  it("records the lag from a firing's scheduled instant to its run starting, once per run", async () => {
    start();
    const firing = await recordFiring(harness.db, {
      workspace: 'web',
      schedule_key: 'deploy_schedule[0]',
      action: 'deploy',
      scheduled_at: T0,
      outcome: 'fired',
      recorded_at: clock.now(),
    });
    const run = await runs.enqueue({
      workspace: 'web',
      action: 'deploy',
      trigger: 'schedule',
      firingId: firing.id,
    });
    clock.advance(90_000);
    const running = await updateRunState(harness.db, run.id, 'running', clock.now(), {
      lease: { owner: 'test', leaseMs: 60_000 },
    });
    hub.emit('run.updated', running);
    // A cancel request announces the run, still running, again: that is not a second start.
    hub.emit('run.updated', { ...running, cancel_requested_at: clock.now().toISOString() });
    await collector.settled();
    const text = await scrape();
    expect(sampleValue(text, 'tide_schedule_lag_seconds_count')).toBe(1);
    expect(sampleValue(text, 'tide_schedule_lag_seconds_sum')).toBe(90);
  });

  it('leaves runs nobody scheduled out of the schedule lag', async () => {
    start();
    const run = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    await execute(run.id, 'failed', 1);
    await collector.settled();
    expect(sampleValue(await scrape(), 'tide_schedule_lag_seconds_count')).toBe(0);
  });

  it('counts firings by outcome, every outcome present from the start', async () => {
    start();
    expect(sampleValue(await scrape(), 'tide_firings_total', { outcome: 'missed' })).toBe(0);
    const firing = {
      workspace: 'web',
      schedule_key: 'uptime[0]',
      action: 'deploy',
      scheduled_at: T0,
      reason: null,
    };
    hub.emit('firing.recorded', { ...firing, outcome: 'fired', run_id: 'r1' });
    hub.emit('firing.recorded', { ...firing, outcome: 'fired', run_id: 'r2' });
    hub.emit('firing.recorded', { ...firing, outcome: 'skipped', run_id: null });
    const text = await scrape();
    expect(sampleValue(text, 'tide_firings_total', { outcome: 'fired' })).toBe(2);
    expect(sampleValue(text, 'tide_firings_total', { outcome: 'skipped' })).toBe(1);
    expect(sampleValue(text, 'tide_firings_total', { outcome: 'missed' })).toBe(0);
  });

  it('does not count firings and runs another replica relayed here (that replica counts them)', async () => {
    start();
    const relayedFiring = {
      workspace: 'web',
      schedule_key: 'uptime[0]',
      action: 'deploy',
      scheduled_at: T0,
      reason: null,
      outcome: 'fired',
      run_id: 'r9',
    };
    hub.markFromOtherReplica(relayedFiring);
    hub.emit('firing.recorded', relayedFiring);
    const run = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const relayedRun = { ...run, state: 'succeeded' as const, finished_at: T0 };
    hub.markFromOtherReplica(relayedRun);
    hub.emit('run.updated', relayedRun);
    const text = await scrape();
    expect(sampleValue(text, 'tide_firings_total', { outcome: 'fired' })).toBe(0);
    expect(
      sampleValue(text, 'tide_runs_total', { action: 'deploy', trigger: 'api', result: 'succeeded' }) ?? 0,
    ).toBe(0);
  });

  it('counts the initial load and every reload, as an error when any unit has an error', async () => {
    // The fixture's `broken` workspace never validates, so the initial load already counts as an error.
    start();
    watcher.emit('reload', { changes: [], problems: [problem('warning')], config });
    watcher.emit('reload', { changes: [], problems: [problem('warning'), problem('error')], config });
    watcher.emit('error', new Error('watch failed'));
    const text = await scrape();
    expect(sampleValue(text, 'tide_config_reloads_total', { result: 'ok' })).toBe(1);
    expect(sampleValue(text, 'tide_config_reloads_total', { result: 'error' })).toBe(3);
  });

  it('reads active runs, queue depth and workspaces by observed status when scraped', async () => {
    start();
    worker.active = 2;
    await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    await runs.enqueue({ workspace: 'vault', action: 'plan', trigger: 'api' });
    await upsertWorkspaceStatus(harness.db, 'web', { status: 'deployed' }, clock.now());
    // `broken` has a config error and still counts, by what was observed.
    await upsertWorkspaceStatus(harness.db, 'broken', { status: 'deploy_failed' }, clock.now());
    // No longer configured: not counted.
    await upsertWorkspaceStatus(harness.db, 'retired', { status: 'deployed' }, clock.now());
    const text = await scrape();
    expect(sampleValue(text, 'tide_runs_active')).toBe(2);
    expect(sampleValue(text, 'tide_queue_depth')).toBe(2);
    expect(sampleValue(text, 'tide_workspaces', { status: 'deployed' })).toBe(1);
    expect(sampleValue(text, 'tide_workspaces', { status: 'deploy_failed' })).toBe(1);
    // vault and idle were never acted on.
    expect(sampleValue(text, 'tide_workspaces', { status: 'destroyed' })).toBe(2);
    expect(sampleValue(text, 'tide_workspaces', { status: 'destroying' })).toBe(0);
  });

  it('keeps the last gauge values and still answers the scrape when the store cannot be read', async () => {
    let failing = false;
    const flaky = new Proxy(harness.db, {
      get(target, key) {
        if (key === 'selectFrom' && failing)
          return () => {
            throw new Error('database is down');
          };
        const value: unknown = Reflect.get(target, key);
        // Kysely keeps private fields: its methods must run on the real instance, not the proxy.
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    start(flaky);
    await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    expect(sampleValue(await scrape(), 'tide_queue_depth')).toBe(1);
    failing = true;
    await runs.enqueue({ workspace: 'vault', action: 'deploy', trigger: 'api' });
    const text = await scrape();
    expect(sampleValue(text, 'tide_queue_depth')).toBe(1);
    expect(sampleValue(text, 'tide_workspaces', { status: 'destroyed' })).toBe(4);
  });

  it('stops counting once stopped', async () => {
    start();
    await stop();
    hub.emit('firing.recorded', {
      workspace: 'web',
      schedule_key: 'uptime[0]',
      action: 'deploy',
      scheduled_at: T0,
      outcome: 'fired',
      reason: null,
      run_id: null,
    });
    expect(sampleValue(await scrape(), 'tide_firings_total', { outcome: 'fired' })).toBe(0);
  });

  it('counts drift checks: a failed plan as failed, a status change by its finding, not a relayed one', async () => {
    start();
    const drift = async (outcome: string) =>
      sampleValue(await scrape(), 'tide_drift_checks_total', { outcome });
    const failedPlan = await runs.enqueue({ workspace: 'web', action: 'plan', trigger: 'schedule' });
    await execute(failedPlan.id, 'failed', 3);
    const cleanPlan = await runs.enqueue({ workspace: 'web', action: 'plan', trigger: 'schedule' });
    await execute(cleanPlan.id, 'succeeded', 3);
    expect(await drift('failed')).toBe(1);
    hub.emit('workspace.status', {
      workspace: 'web',
      status: 'deployed',
      mode: null,
      drift_check: 'drifted',
    });
    hub.emit('workspace.status', { workspace: 'web', status: 'deployed', mode: null });
    const relayed = { workspace: 'web', status: 'deployed', mode: null, drift_check: 'clean' as const };
    hub.markFromOtherReplica(relayed);
    hub.emit('workspace.status', relayed);
    expect([await drift('drifted'), await drift('clean'), await drift('failed')]).toEqual([1, 0, 1]);
  });

  it('leaves a run whose firing is no longer in the ledger out of the schedule lag, and survives a ledger it cannot read', async () => {
    let failing = false;
    const flaky = new Proxy(harness.db, {
      get(target, key) {
        if (key === 'selectFrom' && failing)
          return () => {
            throw new Error('database is down');
          };
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    start(flaky);
    const run = await runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const running = await updateRunState(harness.db, run.id, 'running', clock.now(), {
      lease: { owner: 'test', leaseMs: 60_000 },
    });
    // As if retention pruned the firing between the run's start and the lookup.
    hub.emit('run.updated', { ...running, firing_id: 987_654 });
    await collector.settled();
    failing = true;
    hub.emit('run.updated', { ...running, id: 'other-run', firing_id: 987_655 });
    await collector.settled();
    expect(sampleValue(await scrape(), 'tide_schedule_lag_seconds_count')).toBe(0);
  });
});
