import { afterEach, expect, it } from 'vitest';
import { workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { schedulerHarness, type SchedulerHarness } from '../../test/helpers/scheduler-harness.ts';
import { createLogger } from '../log/logger.ts';
import { appendLogChunk } from '../run/run-log.repo.ts';
import { claimNextQueued, listRuns, updateRunState } from '../run/run.repo.ts';
import { STANDALONE_WORKSPACE, type Run } from '../run/run.ts';
import type { Db } from '../store/schema.ts';
import { retryFailedRun, type RetryContext } from './retry-failed-run.ts';

const harnesses: SchedulerHarness[] = [];
afterEach(() => harnesses.splice(0).forEach((h) => h.cleanup()));

const noTransientError = 'Error: Invalid value for variable "size"';

async function setup(db: Db, files: Record<string, string | object>): Promise<SchedulerHarness> {
  const harness = await schedulerHarness(db, files, '2027-06-01T07:00:00Z');
  harnesses.push(harness);
  return harness;
}

function context(db: Db, h: SchedulerHarness, runs: RetryContext['runs'] = h.runs): RetryContext {
  return {
    db,
    runs,
    config: () => h.config,
    now: h.clock.now(),
    random: () => 0.5,
    logger: createLogger('silent'),
  };
}

/** A run that was claimed and failed after writing `log`. */
async function failedRun(
  db: Db,
  h: SchedulerHarness,
  run: { workspace: string; job?: string; attempt?: number },
  log: string,
): Promise<Run> {
  const queued = await h.runs.enqueue({ ...run, action: 'deploy', trigger: 'schedule' });
  const claimed = await claimNextQueued(db, { owner: 'runner', leaseMs: 60_000, clock: h.clock });
  expect(claimed?.id).toBe(queued.id);
  await appendLogChunk(db, queued.id, { stream: 'stderr', content: log, created_at: h.clock.now() });
  return updateRunState(db, queued.id, 'failed', h.clock.now(), { exit_code: 1, reason: 'apply failed' });
}

async function retriesOf(db: Db, run: Run): Promise<Run[]> {
  return (await listRuns(db, { limit: 100 })).items.filter((r) => r.retry_of === run.id);
}

forEachDialect('retryFailedRun', (harness) => {
  const db = () => harness.db;

  it('does not retry a failed destroy of a workspace an environment points at, and says why', async () => {
    const h = await setup(db(), {
      ...workspaceFiles('blue', { deploy_schedule: '0 8 * * 1-5', destroy_schedule: '0 18 * * 1-5' }),
      'environments/prod.json': {
        domain: 'shop.example.com',
        reserved_ips: ['198.51.100.1'],
        assigned_workspace: 'blue',
        healthcheck: { type: 'tcp', port: 443 },
        action: { command: ['true'] },
      },
    });
    expect(h.config.snapshot.problems).toEqual([]);
    const queued = await h.runs.enqueue({ workspace: 'blue', action: 'destroy', trigger: 'schedule' });
    expect((await claimNextQueued(db(), { owner: 'runner', leaseMs: 60_000, clock: h.clock }))?.id).toBe(
      queued.id,
    );
    // A transient error, which would be retried for any other workspace.
    await appendLogChunk(db(), queued.id, {
      stream: 'stderr',
      content: 'Error: read tcp: connection reset by peer',
      created_at: h.clock.now(),
    });
    const failed = await updateRunState(db(), queued.id, 'failed', h.clock.now(), { exit_code: 1 });
    const said: string[] = [];
    const logger = createLogger('silent');
    logger.info = ((_fields: unknown, message: string) => void said.push(message)) as typeof logger.info;
    await retryFailedRun(failed, { ...context(db(), h), logger });
    expect(await retriesOf(db(), failed)).toEqual([]);
    expect(said).toEqual([
      'retry not queued: environment: workspace "blue" is assigned to environment "prod"; switch the environment to another workspace first',
    ]);
  });

  it('retries a standalone job on any failure, up to its own retries, without a config hash', async () => {
    const h = await setup(db(), { 'jobs/ping.json': { type: 'command', command: 'true', retries: 1 } });
    const first = await failedRun(
      db(),
      h,
      { workspace: STANDALONE_WORKSPACE, job: 'ping' },
      noTransientError,
    );
    await retryFailedRun(first, context(db(), h));
    const [retry] = await retriesOf(db(), first);
    expect(retry).toMatchObject({
      workspace: STANDALONE_WORKSPACE,
      job: 'ping',
      trigger: 'retry',
      actor: 'scheduler',
      attempt: 2,
      config_hash: null,
      state: 'queued',
    });
    // Base 30 s, first retry: half of it plus half the jitter (random 0.5) = 22.5 s.
    expect(new Date(retry!.not_before!).getTime() - h.clock.now().getTime()).toBe(22_500);
  });

  it('stops retrying a standalone job once its retries are used up', async () => {
    const h = await setup(db(), { 'jobs/ping.json': { type: 'command', command: 'true', retries: 1 } });
    const last = await failedRun(
      db(),
      h,
      { workspace: STANDALONE_WORKSPACE, job: 'ping', attempt: 2 },
      noTransientError,
    );
    await retryFailedRun(last, context(db(), h));
    expect(await retriesOf(db(), last)).toEqual([]);
  });

  it("retries a workspace job by the job's retries, under the workspace's config hash", async () => {
    const h = await setup(
      db(),
      workspaceFiles('web', {
        policy: { retries: 0 },
        jobs: [{ name: 'migrate', type: 'command', command: 'true', retries: 2 }],
      }),
    );
    const run = await failedRun(db(), h, { workspace: 'web', job: 'migrate' }, noTransientError);
    await retryFailedRun(run, context(db(), h));
    expect(await retriesOf(db(), run)).toEqual([
      expect.objectContaining({
        workspace: 'web',
        job: 'migrate',
        attempt: 2,
        config_hash: h.config.workspaces.get('web')!.definition!.contentHash,
      }),
    ]);
  });

  it('does not retry a deploy whose log shows no transient error', async () => {
    const h = await setup(db(), workspaceFiles('web', { policy: { retries: 3 } }));
    const run = await failedRun(db(), h, { workspace: 'web' }, noTransientError);
    await retryFailedRun(run, context(db(), h));
    expect(await retriesOf(db(), run)).toEqual([]);
  });

  it('does not retry a run whose workspace is no longer configured', async () => {
    const h = await setup(db(), workspaceFiles('web', { policy: { retries: 3 } }));
    const run = await failedRun(db(), h, { workspace: 'gone' }, 'Error: Error acquiring the state lock');
    await retryFailedRun(run, context(db(), h));
    expect(await retriesOf(db(), run)).toEqual([]);
  });

  it('queues one retry when two sweeps see the same failure', async () => {
    const h = await setup(db(), workspaceFiles('web', { policy: { retries: 3 } }));
    const run = await failedRun(db(), h, { workspace: 'web' }, 'Error: Error acquiring the state lock');
    await retryFailedRun(run, context(db(), h));
    await retryFailedRun(run, context(db(), h));
    expect(await retriesOf(db(), run)).toHaveLength(1);
  });

  it('passes on an error other than a retry queued first', async () => {
    const h = await setup(db(), workspaceFiles('web', { policy: { retries: 3 } }));
    const run = await failedRun(db(), h, { workspace: 'web' }, 'Error: Error acquiring the state lock');
    const broken = {
      enqueue: () => Promise.reject(new Error('the database went away')),
    };
    await expect(retryFailedRun(run, context(db(), h, broken))).rejects.toThrow('the database went away');
  });
});
