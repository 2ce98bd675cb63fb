import { describe, it, expect } from 'vitest';
import { defaultPolicy, type JobDefinition, type WorkspacePolicy } from '../config/config-model.ts';
import { ORPHANED } from '../run/orphan-reaper.ts';
import type { Run } from '../run/run.ts';
import { retryDelay, type RetryInput } from './retry-policy.ts';

const lockError = 'Error: Error acquiring the state lock\nLock Info: ID 1234';

function failedRun(fields: Partial<Run> = {}): Run {
  return {
    id: 'run-1',
    workspace: 'web',
    job: null,
    action: 'deploy',
    mode: null,
    state: 'failed',
    trigger: 'schedule',
    actor: null,
    attempt: 1,
    retry_of: null,
    firing_id: null,
    lock_key: 'workspace:web',
    priority: 0,
    created_at: '2027-03-15T09:00:00.000Z',
    started_at: '2027-03-15T09:00:01.000Z',
    finished_at: '2027-03-15T09:02:00.000Z',
    exit_code: 1,
    reason: null,
    plan_summary: null,
    outputs: null,
    lease_owner: null,
    lease_expires_at: null,
    fencing_token: 1,
    config_hash: null,
    not_before: null,
    cancel_requested_at: null,
    ttl_seconds: null,
    ...fields,
  };
}

function reportJob(retries: number): JobDefinition {
  return {
    name: 'report',
    scope: 'web',
    workspace: 'web',
    description: '',
    type: 'command',
    command: 'make report',
    schedules: [],
    events: [],
    environment: {},
    timeoutMs: 60_000,
    enabled: true,
    dependsOn: [],
    retries,
    timezone: 'UTC',
    tags: [],
    file: 'workspaces/web/config.json',
  };
}

/** Retry input with the default policy, a state-lock failure in the log and the midpoint of the jitter. */
function input(fields: Partial<RetryInput> = {}): RetryInput {
  return { run: failedRun(), policy: defaultPolicy, logTail: lockError, random: () => 0.5, ...fields };
}

const policy = (fields: Partial<WorkspacePolicy>): WorkspacePolicy => ({ ...defaultPolicy, ...fields });

describe('which failed runs are retried', () => {
  it('retries a deploy that failed on a transient error listed in retry_on', () => {
    expect(retryDelay(input())).not.toBeNull();
  });

  it.each(['succeeded', 'canceled', 'timed_out', 'queued', 'running'] as const)(
    'does not retry a run that is %s',
    (state) => {
      expect(retryDelay(input({ run: failedRun({ state }) }))).toBeNull();
    },
  );

  it('retries an orphaned deploy, destroy or drift plan whatever its log says (its runner died, not the engine)', () => {
    for (const action of ['deploy', 'destroy', 'mode', 'plan'] as const) {
      const run = failedRun({ reason: ORPHANED, action });
      expect(retryDelay(input({ run, logTail: '==> apply' })), action).not.toBeNull();
    }
    expect(retryDelay(input({ run: failedRun({ reason: ORPHANED, attempt: 3 }) }))).toBeNull();
  });

  it('retries an orphaned template job, but never an orphaned script or command job', () => {
    const run = failedRun({ reason: ORPHANED, action: 'job', job: 'report' });
    const template: JobDefinition = { ...reportJob(2), type: 'template', template: 'snapshot' };
    expect(retryDelay(input({ run, job: template }))).not.toBeNull();
    expect(retryDelay(input({ run, job: reportJob(2) }))).toBeNull();
    // A job no longer configured: nothing says what it was, so it is not run again.
    expect(retryDelay(input({ run }))).toBeNull();
    // The same command job failing by itself is retried: it said it may be (retries: 2).
    const failed = failedRun({ action: 'job', job: 'report' });
    expect(retryDelay(input({ run: failed, job: reportJob(2) }))).not.toBeNull();
  });

  it('retries a run that failed for another recorded reason', () => {
    expect(retryDelay(input({ run: failedRun({ reason: 'exit code 1' }) }))).not.toBeNull();
  });

  it('does not retry a failure whose log matches none of the retry_on patterns', () => {
    expect(retryDelay(input({ logTail: 'Error: Invalid reference in variable validation' }))).toBeNull();
  });

  it('matches retry_on patterns as case-insensitive regular expressions anywhere in the log', () => {
    expect(retryDelay(input({ logTail: 'provider said: TOO MANY REQUESTS (429)' }))).not.toBeNull();
    expect(retryDelay(input({ logTail: 'dial tcp: connection refused' }))).not.toBeNull();
  });

  it('retries up to `retries` times: attempts 1 and 2 of 2 retries are retried, attempt 3 is not', () => {
    expect(retryDelay(input({ run: failedRun({ attempt: 2 }) }))).not.toBeNull();
    expect(retryDelay(input({ run: failedRun({ attempt: 3 }) }))).toBeNull();
  });

  it('does not retry at all with retries 0', () => {
    expect(retryDelay(input({ policy: policy({ retries: 0 }) }))).toBeNull();
  });
});

describe('job runs', () => {
  const jobRun = failedRun({ action: 'job', job: 'report' });

  it('retries a job on any failure, whatever its log says', () => {
    expect(retryDelay(input({ run: jobRun, job: reportJob(1), logTail: 'exit status 2' }))).not.toBeNull();
  });

  it('counts attempts against the job’s own retries, not the workspace policy’s', () => {
    expect(retryDelay(input({ run: jobRun, job: reportJob(0) }))).toBeNull();
    const third = { ...jobRun, attempt: 3 };
    expect(
      retryDelay(input({ run: third, job: reportJob(5), policy: policy({ retries: 1 }) })),
    ).not.toBeNull();
  });
});

describe('backoff', () => {
  const backoff = policy({ backoffBaseMs: 30_000, backoffMaxMs: 600_000 });
  const delay = (attempt: number, random: number) =>
    retryDelay(input({ policy: backoff, run: failedRun({ attempt }), random: () => random }));

  it('waits between half and all of the base delay after the first attempt ("equal jitter")', () => {
    expect(delay(1, 0)).toBe(15_000);
    expect(delay(1, 0.25)).toBe(18_750);
    expect(delay(1, 1)).toBe(30_000);
  });

  it('doubles the delay with each attempt', () => {
    const doubling = policy({ ...backoff, retries: 5 });
    const at = (attempt: number) =>
      retryDelay(input({ policy: doubling, run: failedRun({ attempt }), random: () => 1 }));
    expect([1, 2, 3, 4].map(at)).toEqual([30_000, 60_000, 120_000, 240_000]);
  });

  it('caps the delay at backoff_max', () => {
    const capped = policy({ ...backoff, retries: 10 });
    expect(retryDelay(input({ policy: capped, run: failedRun({ attempt: 8 }), random: () => 1 }))).toBe(
      600_000,
    );
    expect(retryDelay(input({ policy: capped, run: failedRun({ attempt: 8 }), random: () => 0 }))).toBe(
      300_000,
    );
  });

  it('rounds to whole milliseconds', () => {
    expect(retryDelay(input({ policy: policy({ backoffBaseMs: 1_001 }), random: () => 0 }))).toBe(501);
  });
});
