import { describe, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { parseEnv } from '../env/env.schema.ts';
import { createLogger } from '../log/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import type { Db, RunAction, RunState } from '../store/schema.ts';
import { ManualClock } from '../time/clock.ts';
import { DEFAULT_RETENTION, Retention, retentionLoop, type RetentionSettings } from './retention.ts';

const NOW = '2027-06-01T12:00:00.000Z';
const DAY = 86_400_000;
/** An instant `days` days before NOW. */
const ago = (days: number) => new Date(Date.parse(NOW) - days * DAY).toISOString();
const logger = createLogger('silent');

interface RunSpec {
  id: string;
  workspace?: string;
  action?: RunAction;
  job?: string | null;
  state?: RunState;
  /** Days before NOW it was created and finished. */
  days: number;
  outputs?: string | null;
  retryOf?: string | null;
  firingId?: number | null;
}

async function insertRun(db: Db, spec: RunSpec): Promise<void> {
  const state = spec.state ?? 'succeeded';
  const at = ago(spec.days);
  const active = state === 'queued' || state === 'running';
  await db
    .insertInto('runs')
    .values({
      id: spec.id,
      workspace: spec.workspace ?? 'web',
      job: spec.job ?? null,
      action: spec.action ?? 'deploy',
      mode: null,
      state,
      trigger: 'manual',
      actor: 'alice',
      retry_of: spec.retryOf ?? null,
      firing_id: spec.firingId ?? null,
      lock_key: `${spec.workspace ?? 'web'}:${spec.id}`,
      priority: 0,
      created_at: at,
      started_at: state === 'queued' ? null : at,
      finished_at: active ? null : at,
      exit_code: null,
      reason: null,
      plan_summary: null,
      outputs: spec.outputs ?? null,
      lease_owner: null,
      lease_expires_at: null,
      config_hash: null,
      not_before: null,
      cancel_requested_at: null,
    })
    .execute();
}

async function insertLog(db: Db, runId: string, chunks: number, days: number): Promise<void> {
  for (let seq = 1; seq <= chunks; seq++)
    await db
      .insertInto('run_log_chunks')
      .values({ run_id: runId, seq, created_at: ago(days), stream: 'stdout', content: `line ${seq}` })
      .execute();
}

async function insertFiring(db: Db, scheduleKey: string, days: number, runId: string | null = null) {
  const row = await db
    .insertInto('firings')
    .values({
      workspace: 'web',
      schedule_key: scheduleKey,
      action: 'deploy',
      mode: null,
      scheduled_at: ago(days),
      outcome: 'fired',
      reason: null,
      run_id: runId,
      recorded_at: ago(days),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

async function insertStateVersion(db: Db, key: string, serial: number): Promise<void> {
  await db
    .insertInto('state_versions')
    .values({
      state_key: key,
      serial,
      lineage: 'lineage-1',
      checksum: `sum-${serial}`,
      size: 10,
      run_id: null,
      written_by: 'user:alice',
      created_at: ago(200),
      ciphertext: 'x',
      iv: 'y',
      tag: 'z',
      key_id: 'k',
    })
    .execute();
}

const ids = async (db: Db, table: 'runs'): Promise<string[]> =>
  (await db.selectFrom(table).select('id').orderBy('id').execute()).map((row) => row.id);

const count = async (db: Db, table: 'run_log_chunks' | 'firings' | 'refresh_tokens' | 'run_waits') =>
  Number(
    (
      await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** Only one kind of row pruned: the others kept forever, so each test checks one rule. */
const only = (settings: Partial<RetentionSettings>): RetentionSettings => ({
  runsDays: 0,
  runLogsDays: 0,
  firingsDays: 0,
  sessionsDays: 0,
  stateVersionsKeep: 0,
  ...settings,
});

forEachDialect('retention', (harness) => {
  const retention = (settings: RetentionSettings, extra: { batchSize?: number } = {}) => {
    const metrics = createMetrics();
    const service = new Retention({
      db: harness.db,
      clock: new ManualClock(NOW),
      logger,
      metrics,
      settings,
      ...extra,
    });
    return { service, metrics };
  };

  it('deletes finished notifications and delivery-log entries older than the run retention, never pending ones', async () => {
    const row = (id: string, state: 'pending' | 'delivered' | 'failed', days: number) => ({
      id,
      dedupe_key: id,
      event_type: 'run_failed',
      workspace: 'web',
      target: 'ops',
      target_type: 'webhook',
      destination: '{}',
      payload: '{}',
      state,
      next_attempt_at: ago(days),
      created_at: ago(days),
      updated_at: ago(days),
    });
    await harness.db
      .insertInto('notification_outbox')
      .values([
        row('old-done', 'delivered', 100),
        row('old-failed', 'failed', 100),
        row('old-pending', 'pending', 100),
        row('new-done', 'delivered', 1),
      ])
      .execute();
    const entry = (id: string, days: number) => ({
      id,
      outbox_id: 'old-done',
      event_type: 'run_failed',
      workspace: 'web',
      target: 'ops',
      target_type: 'webhook',
      attempt: 1,
      outcome: 'delivered',
      duration_ms: 5,
      created_at: ago(days),
    });
    await harness.db
      .insertInto('notification_deliveries')
      .values([entry('d-old', 100), entry('d-new', 1)])
      .execute();

    await retention(DEFAULT_RETENTION).service.prune();

    const outbox = await harness.db.selectFrom('notification_outbox').select('id').orderBy('id').execute();
    expect(outbox.map((r) => r.id)).toEqual(['new-done', 'old-pending']);
    const log = await harness.db.selectFrom('notification_deliveries').select('id').execute();
    expect(log.map((r) => r.id)).toEqual(['d-new']);
  });

  it('deletes finished runs older than the retention with their logs and waits, and keeps recent and active ones', async () => {
    const db = harness.db;
    await insertRun(db, { id: 'old-1', days: 100, state: 'failed' });
    await insertRun(db, { id: 'old-2', days: 95, state: 'canceled' });
    await insertRun(db, { id: 'recent', days: 10, state: 'failed' });
    await insertRun(db, { id: 'queued-old', workspace: 'api', days: 120, state: 'queued' });
    await insertRun(db, { id: 'running-old', workspace: 'db', days: 120, state: 'running' });
    await insertRun(db, { id: 'latest', days: 1, state: 'succeeded' });
    await insertLog(db, 'old-1', 3, 100);
    await insertLog(db, 'recent', 2, 10);
    await db
      .insertInto('run_waits')
      .values({ waiter_run_id: 'old-2', awaited_run_id: 'old-1', dependency: 'web' })
      .execute();

    const { service, metrics } = retention(only({ runsDays: 90 }));
    await service.prune();

    expect(await ids(db, 'runs')).toEqual(['latest', 'queued-old', 'recent', 'running-old']);
    expect(await count(db, 'run_log_chunks')).toBe(2);
    expect(await count(db, 'run_waits')).toBe(0);
    const pruned = await metrics.retentionPrunedTotal.get();
    const byTable = Object.fromEntries(pruned.values.map((v) => [v.labels.table, v.value]));
    expect(byTable).toEqual({ run_log_chunks: 3, runs: 2, run_waits: 1 });
  });

  it('keeps the runs Tide still reads: last run, newest per action and job, newest succeeded, outputs, retries, locks, waits and chains', async () => {
    const db = harness.db;
    // web: the newest deploy failed; the succeeded deploy before it holds the outputs jobs and environments read.
    await insertRun(db, { id: 'web-outputs', days: 200, outputs: '{"url":"x"}' });
    await insertRun(db, { id: 'web-older', days: 300, outputs: '{"url":"old"}' });
    await insertRun(db, { id: 'web-failed', days: 150, state: 'failed' });
    // A newer succeeded deploy without outputs: the one with outputs is still what readers select.
    await insertRun(db, { id: 'web-no-outputs', days: 160 });
    // The workspace's last_run_id.
    await insertRun(db, { id: 'web-plan-last', action: 'plan', days: 190, state: 'failed' });
    await insertRun(db, { id: 'web-plan-new', action: 'plan', days: 180, state: 'failed' });
    await db
      .insertInto('workspace_status')
      .values({ workspace: 'web', last_run_id: 'web-plan-last', updated_at: NOW, status: 'deployed' })
      .execute();
    // Jobs: the newest run of each job stays.
    await insertRun(db, { id: 'job-a-1', action: 'job', job: 'a', days: 300, state: 'failed' });
    await insertRun(db, { id: 'job-a-2', action: 'job', job: 'a', days: 200, state: 'failed' });
    await insertRun(db, { id: 'job-b-1', action: 'job', job: 'b', days: 300, state: 'failed' });
    // An active retry of an old run.
    await insertRun(db, { id: 'api-failed', workspace: 'api', days: 200, state: 'failed' });
    await insertRun(db, {
      id: 'api-retry',
      workspace: 'api',
      days: 0,
      state: 'queued',
      retryOf: 'api-failed',
    });
    // An old run an active run waits on.
    await insertRun(db, { id: 'dep-old', workspace: 'dep', days: 200 });
    await insertRun(db, { id: 'dep-new', workspace: 'dep', days: 150 });
    await insertRun(db, { id: 'waiter', workspace: 'app', days: 0, state: 'queued' });
    await db
      .insertInto('run_waits')
      .values({ waiter_run_id: 'waiter', awaited_run_id: 'dep-old', dependency: 'dep' })
      .execute();
    // A job chain with a run still queued keeps its finished runs and its source.
    await insertRun(db, { id: 'chain-src', workspace: 'ch', days: 200 });
    await insertRun(db, { id: 'chain-src-2', workspace: 'ch', days: 150 });
    await insertRun(db, { id: 'chain-done', workspace: 'ch', action: 'job', job: 'j1', days: 200 });
    await insertRun(db, { id: 'chain-done-2', workspace: 'ch', action: 'job', job: 'j1', days: 150 });
    await insertRun(db, {
      id: 'chain-next',
      workspace: 'ch',
      action: 'job',
      job: 'j2',
      days: 0,
      state: 'queued',
    });
    await db
      .insertInto('job_chains')
      .values({
        id: 'c1',
        workspace: 'ch',
        trigger: '@deployment',
        source_run_id: 'chain-src',
        created_at: ago(200),
      })
      .execute();
    for (const [run, job] of [
      ['chain-done', 'j1'],
      ['chain-next', 'j2'],
    ] as const)
      await db
        .insertInto('job_chain_runs')
        .values({ run_id: run, chain_id: 'c1', job, depends_on: '[]', waiting_on: '[]' })
        .execute();
    // A run holding a state lock.
    await insertRun(db, { id: 'lock-old', workspace: 'lk', days: 200, state: 'failed' });
    await insertRun(db, { id: 'lock-new', workspace: 'lk', days: 150, state: 'failed' });
    await db
      .insertInto('state_locks')
      .values({ state_key: 'lk', lock_id: 'l', run_id: 'lock-old', info: '{}', created_at: ago(200) })
      .execute();

    const { service } = retention(only({ runsDays: 90 }));
    await service.prune();

    expect(await ids(db, 'runs')).toEqual(
      [
        'api-failed',
        'api-retry',
        'chain-done',
        'chain-done-2',
        'chain-next',
        'chain-src',
        'chain-src-2',
        'dep-new',
        'dep-old',
        'job-a-2',
        'job-b-1',
        'lock-new',
        'lock-old',
        'waiter',
        'web-failed',
        'web-no-outputs',
        'web-outputs',
        'web-plan-last',
        'web-plan-new',
      ].sort(),
    );
  });

  it('deletes the logs of old runs but keeps the runs, and the logs of the runs it protects', async () => {
    const db = harness.db;
    await insertRun(db, { id: 'a-old', days: 40, state: 'failed' });
    await insertRun(db, { id: 'b-new', days: 20, state: 'failed' });
    await insertRun(db, { id: 'c-latest', days: 35, state: 'failed', action: 'plan' });
    await insertLog(db, 'a-old', 4, 40);
    await insertLog(db, 'b-new', 2, 20);
    await insertLog(db, 'c-latest', 3, 35);

    await retention(only({ runLogsDays: 30 })).service.prune();

    expect(await ids(db, 'runs')).toEqual(['a-old', 'b-new', 'c-latest']);
    const left = await db
      .selectFrom('run_log_chunks')
      .select('run_id')
      .distinct()
      .orderBy('run_id')
      .execute();
    expect(left.map((row) => row.run_id)).toEqual(['b-new', 'c-latest']);
  });

  it('deletes in bounded batches: 5 rows with a batch size of 2 take 3 batches', async () => {
    const db = harness.db;
    const firingIds: number[] = [];
    for (let i = 0; i < 6; i++) firingIds.push(await insertFiring(db, 'nightly', 200 - i));
    const { service, metrics } = retention(only({ firingsDays: 90 }), { batchSize: 2 });

    const steps = await service.prune();

    expect(steps.find((step) => step.step === 'firings')).toEqual({
      step: 'firings',
      batches: 3,
      deleted: { firings: 5 },
    });
    const left = await db.selectFrom('firings').select('id').execute();
    // The newest firing of the schedule stays: the scheduler reads it (latestFiring).
    expect(left.map((row) => Number(row.id))).toEqual([firingIds[5]]);
    expect((await metrics.retentionPrunedTotal.get()).values).toEqual([
      { labels: { table: 'firings' }, value: 5 },
    ]);
  });

  it('keeps recent firings, the newest per schedule and those a remaining run points at', async () => {
    const db = harness.db;
    const pointed = await insertFiring(db, 'nightly', 200);
    await insertRun(db, { id: 'fired-run', days: 10, firingId: pointed });
    await insertFiring(db, 'nightly', 150);
    const recent = await insertFiring(db, 'nightly', 5);
    const onlyOne = await insertFiring(db, 'weekly', 300);

    await retention(only({ firingsDays: 90 })).service.prune();

    const left = await db.selectFrom('firings').select('id').orderBy('id').execute();
    expect(left.map((row) => Number(row.id))).toEqual([pointed, recent, onlyOne]);
  });

  it('deletes the reminders of destroys older than the firings limit, and keeps recent ones', async () => {
    const db = harness.db;
    const reminder = (workspace: string, days: number) => ({
      workspace,
      destroy_at: ago(days),
      lead_seconds: 900,
      kind: 'ttl',
      sent_at: ago(days),
    });
    await db
      .insertInto('reminders_sent')
      .values([reminder('old', 200), reminder('recent', 5)])
      .execute();

    await retention(only({ firingsDays: 90 })).service.prune();

    const left = await db.selectFrom('reminders_sent').select('workspace').execute();
    expect(left).toEqual([{ workspace: 'recent' }]);
  });

  it('deletes overrides that ended (expired, removed or used up) longer ago than the firings, and keeps the others', async () => {
    const db = harness.db;
    const override = (
      id: string,
      endsDaysAgo: number,
      extra: { removed?: number; consumed?: number } = {},
    ) => ({
      id,
      workspace: 'web',
      kind: 'keep_up_until' as const,
      action: null,
      ends_at: ago(endsDaysAgo),
      reason: null,
      actor: 'user:alice',
      created_at: ago(Math.max(endsDaysAgo, extra.removed ?? 0, extra.consumed ?? 0) + 1),
      removed_at: extra.removed === undefined ? null : ago(extra.removed),
      removed_by: extra.removed === undefined ? null : 'user:alice',
      consumed_at: extra.consumed === undefined ? null : ago(extra.consumed),
      consumed_firing_id: null,
    });
    await db
      .insertInto('overrides')
      .values([
        override('expired-long-ago', 100),
        override('expired-recently', 10),
        override('removed-long-ago', -5, { removed: 100 }),
        override('consumed-long-ago', -5, { consumed: 100 }),
        override('active', -5),
      ])
      .execute();

    await retention(only({ firingsDays: 90 })).service.prune();

    const left = await db.selectFrom('overrides').select('id').orderBy('id').execute();
    expect(left.map((row) => row.id)).toEqual(['active', 'expired-recently']);
  });

  it('deletes login sessions revoked or expired long ago with their refresh tokens, and keeps live ones', async () => {
    const db = harness.db;
    await db
      .insertInto('users')
      .values({
        id: 'u1',
        username: 'alice',
        password_hash: 'h',
        role: 'admin',
        workspaces: null,
        created_at: ago(400),
        password_changed_at: ago(400),
      })
      .execute();
    const family = async (
      id: string,
      createdDays: number,
      revokedDays: number | null,
      expiresDays: number,
    ) => {
      await db
        .insertInto('refresh_token_families')
        .values({
          id,
          user_id: 'u1',
          created_at: ago(createdDays),
          revoked_at: revokedDays === null ? null : ago(revokedDays),
          revoke_reason: revokedDays === null ? null : 'logout',
        })
        .execute();
      await db
        .insertInto('refresh_tokens')
        .values({
          token_hash: `${id}-t`,
          family_id: id,
          created_at: ago(createdDays),
          expires_at: ago(expiresDays),
          used_at: null,
        })
        .execute();
    };
    await family('revoked-long-ago', 100, 60, 50);
    await family('expired-long-ago', 100, null, 40);
    await family('revoked-lately', 100, 5, -2);
    await family('expired-lately', 20, null, 13);
    await family('live', 3, null, -4);

    await retention(only({ sessionsDays: 30 })).service.prune();

    const left = await db.selectFrom('refresh_token_families').select('id').orderBy('id').execute();
    expect(left.map((row) => row.id)).toEqual(['expired-lately', 'live', 'revoked-lately']);
    expect(await count(db, 'refresh_tokens')).toBe(3);
  });

  it('deletes login-failure rows whose window is stale and whose lock has ended, and keeps the others', async () => {
    const db = harness.db;
    const row = (key: string, windowDays: number, lockedUntil: string | null) =>
      db
        .insertInto('login_failures')
        .values({
          key,
          failures: 3,
          pending: 0,
          window_started_at: ago(windowDays),
          locked_until: lockedUntil,
        })
        .execute();
    await row('user:stale', 2, null);
    await row('ip:stale-lock-ended', 3, ago(2));
    await row('user:fresh', 0.5, null);
    await row('user:locked', 2, ago(-0.1));

    await retention(only({})).service.prune();

    const left = await db.selectFrom('login_failures').select('key').orderBy('key').execute();
    expect(left.map((r) => r.key)).toEqual(['user:fresh', 'user:locked']);
  });

  it('keeps the newest N state versions per key, never those of the current serial nor any of a locked key', async () => {
    const db = harness.db;
    for (const serial of [1, 2, 3, 4, 5]) await insertStateVersion(db, 'web', serial);
    for (const serial of [1, 2, 3, 3, 3]) await insertStateVersion(db, 'api', serial);
    for (const serial of [1, 2, 3, 4]) await insertStateVersion(db, 'locked', serial);
    await insertRun(db, { id: 'writer', workspace: 'locked', days: 0, state: 'running' });
    await db
      .insertInto('state_locks')
      .values({ state_key: 'locked', lock_id: 'l', run_id: 'writer', info: '{}', created_at: NOW })
      .execute();

    await retention(only({ stateVersionsKeep: 2 })).service.prune();

    const left = await db
      .selectFrom('state_versions')
      .select(['state_key', 'serial'])
      .orderBy('id')
      .execute();
    expect(left.map((row) => `${row.state_key}:${row.serial}`)).toEqual([
      'web:4',
      'web:5',
      'api:3',
      'api:3',
      'api:3',
      'locked:1',
      'locked:2',
      'locked:3',
      'locked:4',
    ]);
  });

  it('deletes nothing of a kind whose retention is 0', async () => {
    const db = harness.db;
    await insertRun(db, { id: 'a', days: 1000, state: 'failed' });
    await insertRun(db, { id: 'b', days: 999, state: 'failed' });
    await insertLog(db, 'a', 2, 1000);
    await insertFiring(db, 'nightly', 1000);
    await insertFiring(db, 'nightly', 999);

    expect(await retention(only({})).service.prune()).toEqual([
      { step: 'login_failures', batches: 1, deleted: { login_failures: 0 } },
    ]);
    expect(await ids(db, 'runs')).toEqual(['a', 'b']);
    expect(await count(db, 'run_log_chunks')).toBe(2);
    expect(await count(db, 'firings')).toBe(2);
  });

  it('stops between batches once its signal aborts', async () => {
    const db = harness.db;
    for (let i = 0; i < 3; i++) await insertFiring(db, 'nightly', 200 - i);
    const controller = new AbortController();
    controller.abort();
    expect(await retention(only({ firingsDays: 90 })).service.prune(controller.signal)).toEqual([]);
    expect(await count(db, 'firings')).toBe(3);
  });

  it('deletes the job chains left empty once their runs are gone', async () => {
    const db = harness.db;
    await insertRun(db, { id: 'j-1', action: 'job', job: 'j', days: 200 });
    await insertRun(db, { id: 'j-2', action: 'job', job: 'j', days: 100 });
    await insertRun(db, { id: 'j-3', action: 'job', job: 'j', days: 1 });
    await db
      .insertInto('job_chains')
      .values([
        { id: 'old', workspace: 'web', trigger: 'manual', source_run_id: 'j-1', created_at: ago(200) },
        { id: 'new', workspace: 'web', trigger: 'manual', source_run_id: 'j-3', created_at: ago(1) },
      ])
      .execute();
    await db
      .insertInto('job_chain_runs')
      .values([
        { run_id: 'j-1', chain_id: 'old', job: 'j', depends_on: '[]', waiting_on: '[]' },
        { run_id: 'j-3', chain_id: 'new', job: 'j', depends_on: '[]', waiting_on: '[]' },
      ])
      .execute();

    await retention(only({ runsDays: 90 })).service.prune();

    expect(await ids(db, 'runs')).toEqual(['j-3']);
    const chains = await db.selectFrom('job_chains').select('id').execute();
    expect(chains.map((row) => row.id)).toEqual(['new']);
  });

  it('runs as the cluster singleton `retention`: up at once, a pass at start, then sleeps until stopped', async () => {
    const db = harness.db;
    await insertRun(db, { id: 'old', days: 200, state: 'failed' });
    await insertRun(db, { id: 'new', days: 1, state: 'failed' });
    const { service } = retention(DEFAULT_RETENTION);
    const controller = new AbortController();
    const sleeps: number[] = [];
    // Its first sleep means the first pass is done: stop it there.
    const timers = {
      set: (callback: () => void, ms: number) => {
        sleeps.push(ms);
        controller.abort();
        queueMicrotask(callback);
        return null;
      },
      clear: () => undefined,
    };
    const loop = retentionLoop(service, { intervalMs: 1000, timers });
    expect(loop.name).toBe('retention');
    expect(loop.oncePerCluster).toBe(true);
    let upBeforePass = false;
    await loop.start(controller.signal, () => {
      upBeforePass = sleeps.length === 0;
    });
    expect(upBeforePass).toBe(true);
    expect(sleeps).toEqual([1000]);
    expect(await ids(db, 'runs')).toEqual(['new']);
  });
});

describe('retention settings', () => {
  it('defaults to 90 days of runs and firings, 30 of logs and sessions', () => {
    const parsed = parseEnv({});
    expect(parsed.ok && parsed.env).toMatchObject({
      TIDE_RETENTION_RUNS_DAYS: 90,
      TIDE_RETENTION_RUN_LOGS_DAYS: 30,
      TIDE_RETENTION_FIRINGS_DAYS: 90,
      TIDE_RETENTION_SESSIONS_DAYS: 30,
    });
    expect(DEFAULT_RETENTION).toMatchObject({
      runsDays: 90,
      runLogsDays: 30,
      firingsDays: 90,
      sessionsDays: 30,
    });
  });

  it('refuses a value that is not a whole number of days, naming the variable', () => {
    const parsed = parseEnv({
      TIDE_RETENTION_RUNS_DAYS: 'ten',
      TIDE_RETENTION_RUN_LOGS_DAYS: '-1',
      TIDE_RETENTION_FIRINGS_DAYS: '1.5',
      TIDE_RETENTION_SESSIONS_DAYS: '0',
    });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors).toEqual([
      'TIDE_RETENTION_RUNS_DAYS: expected a whole number of days (0 keeps everything)',
      'TIDE_RETENTION_RUN_LOGS_DAYS: expected 0 (keep everything) or more days',
      'TIDE_RETENTION_FIRINGS_DAYS: expected a whole number of days (0 keeps everything)',
    ]);
  });

  it('refuses a batch size that is not a positive integer', () => {
    expect(
      () =>
        new Retention({
          db: {} as Db,
          clock: new ManualClock(NOW),
          logger,
          settings: DEFAULT_RETENTION,
          batchSize: 0,
        }),
    ).toThrow('retention batch size must be a positive integer, got 0');
  });
});
