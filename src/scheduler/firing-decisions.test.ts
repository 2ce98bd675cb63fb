import { describe, it, expect } from 'vitest';
import { defaultPolicy, type WorkspacePolicy } from '../config/config-model.ts';
import type { Firing } from '../schedule/firings.ts';
import { decideFirings, type DecisionInput } from './firing-decisions.ts';
import { neverObserved, type Observed } from './observed.ts';

// The scheduler started at 08:30 and decides at 09:00:30; the default starting deadline is one hour.
const startedAt = new Date('2027-03-15T08:30:00Z');
const now = new Date('2027-03-15T09:00:30Z');

function firing(schedule_key: string, iso: string, fields: Partial<Firing> = {}): Firing {
  const action = schedule_key.startsWith('destroy')
    ? 'destroy'
    : schedule_key.startsWith('plan') || schedule_key.startsWith('drift')
      ? 'plan'
      : schedule_key.startsWith('jobs.')
        ? 'job'
        : 'deploy';
  return { schedule_key, action, scheduled_at: new Date(iso), ...fields };
}

const deployAt9 = firing('deploy_schedule[0]', '2027-03-15T09:00:00Z');
const destroyAt9 = firing('destroy_schedule[0]', '2027-03-15T09:00:00Z');

const deployed: Observed = { ...neverObserved, status: 'deployed', mode: null, configHash: 'h1' };
const running = (fields: Partial<Observed> = {}): Observed => ({
  ...deployed,
  activeRun: { id: 'run-7', state: 'running', action: 'deploy' },
  ...fields,
});

interface Situation {
  readonly policy?: Partial<WorkspacePolicy>;
  readonly protect?: boolean;
  readonly enabled?: boolean;
  readonly observed?: Observed;
  readonly due: readonly Firing[];
}

function decide({ policy = {}, protect = false, enabled = true, observed = neverObserved, due }: Situation) {
  const input: DecisionInput = {
    definition: { policy: { ...defaultPolicy, ...policy }, protect, contentHash: 'h1' },
    enabled,
    observed,
    due,
    now,
    startedAt,
  };
  return decideFirings(input);
}

/** The one decision for a single due firing. */
function decideOne(situation: Omit<Situation, 'due'>, due: Firing) {
  const decisions = decide({ ...situation, due: [due] });
  expect(decisions).toHaveLength(1);
  return decisions[0]!;
}

describe('a due firing fires', () => {
  it('as a scheduled run when nothing stands in its way', () => {
    expect(decideOne({}, deployAt9)).toEqual({
      firing: deployAt9,
      outcome: 'fired',
      trigger: 'schedule',
      replace: false,
    });
  });

  it('as a window run when it is an uptime window boundary', () => {
    const opens = firing('uptime[0]', '2027-03-15T09:00:00Z');
    expect(decideOne({}, opens)).toMatchObject({ outcome: 'fired', trigger: 'window' });
  });
});

describe('lateness', () => {
  it('misses a firing later than the starting deadline, saying by how much', () => {
    const late = firing('deploy_schedule[0]', '2027-03-15T07:50:00Z');
    expect(decideOne({}, late)).toEqual({
      firing: late,
      outcome: 'missed',
      reason: '1h10m30s late, past starting_deadline 1h',
    });
  });

  it('still fires a firing exactly at the starting deadline', () => {
    const onTime = firing('deploy_schedule[0]', '2027-03-15T08:00:30Z');
    expect(decideOne({}, onTime)).toMatchObject({ outcome: 'fired' });
  });

  it('with catch_up none, misses a firing that fell while Tide was not running', () => {
    const beforeStart = firing('deploy_schedule[0]', '2027-03-15T08:29:59Z');
    expect(decideOne({ policy: { catchUp: 'none' } }, beforeStart)).toEqual({
      firing: beforeStart,
      outcome: 'missed',
      reason: 'Tide was not running and catch_up is none',
    });
  });

  it('with catch_up none, fires a firing at the instant Tide started', () => {
    const atStart = firing('deploy_schedule[0]', '2027-03-15T08:30:00Z');
    expect(decideOne({ policy: { catchUp: 'none' } }, atStart)).toMatchObject({ outcome: 'fired' });
  });

  it('with catch_up latest, fires the latest firing that fell while Tide was not running', () => {
    const beforeStart = firing('deploy_schedule[0]', '2027-03-15T08:29:59Z');
    expect(decideOne({}, beforeStart)).toMatchObject({ outcome: 'fired' });
  });
});

describe('enabled', () => {
  it('skips a workspace disabled through the API, whatever its config says', () => {
    const observed = { ...neverObserved, enabledOverride: false };
    expect(decideOne({ observed }, deployAt9)).toMatchObject({
      outcome: 'skipped',
      reason: 'disabled through the API',
    });
  });

  it('skips a workspace disabled in its config', () => {
    expect(decideOne({ enabled: false }, deployAt9)).toMatchObject({
      outcome: 'skipped',
      reason: 'disabled in its config (enabled: false)',
    });
  });

  it('fires for a workspace disabled in its config but enabled through the API', () => {
    const observed = { ...neverObserved, enabledOverride: true };
    expect(decideOne({ enabled: false, observed }, deployAt9)).toMatchObject({ outcome: 'fired' });
  });
});

describe('protection', () => {
  it('skips a destroy of a protected workspace', () => {
    expect(decideOne({ protect: true, observed: deployed }, destroyAt9)).toMatchObject({
      outcome: 'skipped',
      reason: 'workspace is protected (protect: true)',
    });
  });

  it('still deploys a protected workspace', () => {
    expect(decideOne({ protect: true }, deployAt9)).toMatchObject({ outcome: 'fired' });
  });

  it("skips a destroy of a workspace an environment points at, with the environment's reason", () => {
    const reason =
      'environment: workspace "w" is assigned to environment "prod"; switch the environment first';
    expect(decideOne({ observed: { ...deployed, environment: reason } }, destroyAt9)).toMatchObject({
      outcome: 'skipped',
      reason,
    });
  });

  it('still deploys a workspace an environment points at', () => {
    const environment = 'environment: workspace "w" is assigned to environment "prod"';
    expect(decideOne({ observed: { ...neverObserved, environment } }, deployAt9)).toMatchObject({
      outcome: 'fired',
    });
  });
});

describe('already in the desired state', () => {
  const alreadyThere = { outcome: 'skipped', reason: 'already in desired state' };

  it('skips a destroy of a destroyed workspace and fires one of a deployed workspace', () => {
    expect(decideOne({ observed: neverObserved }, destroyAt9)).toMatchObject(alreadyThere);
    expect(decideOne({ observed: deployed }, destroyAt9)).toMatchObject({ outcome: 'fired' });
  });

  it('skips a deploy of the same config in the same mode', () => {
    expect(decideOne({ observed: deployed }, deployAt9)).toMatchObject(alreadyThere);
  });

  it('treats no mode and the default mode as the same mode', () => {
    const inDefault = firing('mode_schedules.default[0]', '2027-03-15T09:00:00Z', { mode: 'default' });
    expect(decideOne({ observed: deployed }, inDefault)).toMatchObject(alreadyThere);
    expect(decideOne({ observed: { ...deployed, mode: 'default' } }, deployAt9)).toMatchObject(alreadyThere);
  });

  it('deploys again when the mode differs', () => {
    const large = firing('mode_schedules.large[0]', '2027-03-15T09:00:00Z', { mode: 'large' });
    expect(decideOne({ observed: deployed }, large)).toMatchObject({ outcome: 'fired' });
    expect(decideOne({ observed: { ...deployed, mode: 'large' } }, deployAt9)).toMatchObject({
      outcome: 'fired',
    });
  });

  it('deploys again when the config changed since the last deploy', () => {
    expect(decideOne({ observed: { ...deployed, configHash: 'h0' } }, deployAt9)).toMatchObject({
      outcome: 'fired',
    });
  });

  it('deploys a workspace whose last deploy failed', () => {
    expect(decideOne({ observed: { ...deployed, status: 'deploy_failed' } }, deployAt9)).toMatchObject({
      outcome: 'fired',
    });
  });

  it('never runs a drift check on a workspace that is not deployed or that a run holds (skipped, with why)', () => {
    const check = firing('drift_schedule:0 * * * *', '2027-03-15T09:00:00Z');
    expect(decideOne({ observed: neverObserved }, check)).toMatchObject({
      outcome: 'skipped',
      reason: 'not deployed (status destroyed)',
    });
    expect(decideOne({ observed: { ...deployed, status: 'deploy_failed' } }, check)).toMatchObject({
      outcome: 'skipped',
      reason: 'not deployed (status deploy_failed)',
    });
    expect(decideOne({ observed: running({ status: 'deploying' }) }, check)).toMatchObject({
      outcome: 'skipped',
      reason: 'run active: deploy run run-7 is running',
    });
    expect(decideOne({ observed: deployed }, check)).toMatchObject({ outcome: 'fired', trigger: 'schedule' });
  });

  it('always runs plans and jobs, which change nothing to be already in', () => {
    expect(
      decideOne({ observed: deployed }, firing('plan_schedule[0]', '2027-03-15T09:00:00Z')),
    ).toMatchObject({
      outcome: 'fired',
    });
    const job = firing('jobs.report.schedule[0]', '2027-03-15T09:00:00Z', { job: 'report' });
    expect(decideOne({ observed: neverObserved }, job)).toMatchObject({ outcome: 'fired' });
  });

  it('does not judge while a run is active, since that run may change the state', () => {
    expect(decideOne({ observed: running() }, deployAt9)).toMatchObject({ outcome: 'fired' });
  });
});

describe('concurrency with an active run', () => {
  it('queues behind it by default', () => {
    expect(decideOne({ observed: running() }, deployAt9)).toMatchObject({ outcome: 'fired', replace: false });
  });

  it('skips under the skip policy, naming the run in the way', () => {
    expect(decideOne({ policy: { concurrency: 'skip' }, observed: running() }, deployAt9)).toMatchObject({
      outcome: 'skipped',
      reason: 'concurrency policy skip: run run-7 is running',
    });
  });

  it('replaces it under the replace policy', () => {
    expect(decideOne({ policy: { concurrency: 'replace' }, observed: running() }, destroyAt9)).toMatchObject({
      outcome: 'fired',
      replace: true,
    });
  });

  it('replaces nothing under the replace policy when no run is active', () => {
    expect(decideOne({ policy: { concurrency: 'replace' }, observed: deployed }, destroyAt9)).toMatchObject({
      outcome: 'fired',
      replace: false,
    });
  });

  it('fires when the skip policy has no run to skip for', () => {
    expect(decideOne({ policy: { concurrency: 'skip' }, observed: deployed }, destroyAt9)).toMatchObject({
      outcome: 'fired',
    });
  });
});

describe('several due firings', () => {
  it('skips a deploy that fell on a calendar day without letting it compete', () => {
    const holiday = firing('deploy_schedule[0]', '2027-03-15T09:00:00Z', { skip: 'calendar' });
    const destroy = firing('destroy_schedule[0]', '2027-03-15T08:30:00Z');
    expect(decide({ observed: deployed, due: [destroy, holiday] })).toEqual([
      { firing: destroy, outcome: 'fired', trigger: 'schedule', replace: false },
      { firing: holiday, outcome: 'skipped', reason: 'calendar day' },
    ]);
  });

  it('lets the latest deploy or destroy decide and supersedes the earlier ones', () => {
    const deploy = firing('deploy_schedule[0]', '2027-03-15T08:30:00Z');
    expect(decide({ observed: deployed, due: [deploy, destroyAt9] })).toEqual([
      {
        firing: deploy,
        outcome: 'superseded',
        reason: 'superseded by destroy_schedule[0] at 2027-03-15T09:00:00.000Z',
      },
      { firing: destroyAt9, outcome: 'fired', trigger: 'schedule', replace: false },
    ]);
  });

  it('records the earlier ones as missed when they fell before Tide started', () => {
    const whileDown = firing('deploy_schedule[0]', '2027-03-15T08:29:00Z');
    const atStart = firing('deploy_schedule[1]', '2027-03-15T08:30:00Z');
    expect(decide({ observed: deployed, due: [whileDown, atStart, destroyAt9] })).toEqual([
      {
        firing: whileDown,
        outcome: 'missed',
        reason: 'Tide was not running; superseded by the firing at 2027-03-15T09:00:00.000Z',
      },
      {
        firing: atStart,
        outcome: 'superseded',
        reason: 'superseded by destroy_schedule[0] at 2027-03-15T09:00:00.000Z',
      },
      { firing: destroyAt9, outcome: 'fired', trigger: 'schedule', replace: false },
    ]);
  });

  it('decides each job and plan schedule on its own, beside the workspace’s state changes', () => {
    const plan = firing('plan_schedule[0]', '2027-03-15T08:45:00Z');
    const report = firing('jobs.report.schedule[0]', '2027-03-15T08:50:00Z', { job: 'report' });
    const backup = firing('jobs.backup.schedule[0]', '2027-03-15T08:55:00Z', { job: 'backup' });
    const decisions = decide({ observed: deployed, due: [plan, report, backup, destroyAt9] });
    expect(decisions.map((decision) => [decision.firing.schedule_key, decision.outcome])).toEqual([
      ['plan_schedule[0]', 'fired'],
      ['jobs.report.schedule[0]', 'fired'],
      ['jobs.backup.schedule[0]', 'fired'],
      ['destroy_schedule[0]', 'fired'],
    ]);
  });

  it('runs a job once for several of its own due firings', () => {
    const first = firing('jobs.report.schedule[0]', '2027-03-15T08:30:00Z', { job: 'report' });
    const second = firing('jobs.report.schedule[0]', '2027-03-15T09:00:00Z', { job: 'report' });
    expect(decide({ due: [first, second] }).map((decision) => decision.outcome)).toEqual([
      'superseded',
      'fired',
    ]);
  });

  it('lists decisions in firing order whatever their group', () => {
    const destroy = firing('destroy_schedule[0]', '2027-03-15T08:20:00Z');
    const job = firing('jobs.report.schedule[0]', '2027-03-15T08:30:00Z', { job: 'report' });
    const deploy = firing('deploy_schedule[0]', '2027-03-15T08:40:00Z');
    const decisions = decide({ observed: deployed, due: [destroy, job, deploy] });
    expect(decisions.map((decision) => decision.firing.schedule_key)).toEqual([
      'destroy_schedule[0]',
      'jobs.report.schedule[0]',
      'deploy_schedule[0]',
    ]);
  });
});

describe('overrides in the decisions', () => {
  const override = (kind: 'keep_up_until' | 'skip_next', action: 'destroy' | null = null) => ({
    id: 'ov-1',
    workspace: 'web',
    kind,
    action,
    ends_at: new Date('2027-03-15T21:00:00Z'),
    reason: null,
    actor: 'alice',
    created_at: new Date('2027-03-15T08:00:00Z'),
    removed_at: null,
    consumed_at: null,
  });
  const withOverrides = (overrides: DecisionInput['overrides']) =>
    decideFirings({
      definition: { policy: defaultPolicy, protect: false, contentHash: 'h1' },
      enabled: true,
      observed: deployed,
      due: [destroyAt9],
      now,
      startedAt,
      overrides,
    });

  it('skips a destroy under keep_up_until with the reason naming the override, consuming nothing', () => {
    expect(withOverrides([override('keep_up_until')])).toEqual([
      {
        firing: destroyAt9,
        outcome: 'skipped',
        reason: 'override ov-1: keep_up_until until 2027-03-15T21:00:00.000Z',
      },
    ]);
  });

  it('skips the firing a skip_next names and says it consumes it', () => {
    expect(withOverrides([override('skip_next', 'destroy')])).toEqual([
      {
        firing: destroyAt9,
        outcome: 'skipped',
        reason: 'override ov-1: skip_next destroy until 2027-03-15T21:00:00.000Z',
        consumes: 'ov-1',
      },
    ]);
  });

  it('still reports a firing disabled before looking at overrides', () => {
    const [decision] = decideFirings({
      definition: { policy: defaultPolicy, protect: false, contentHash: 'h1' },
      enabled: false,
      observed: deployed,
      due: [destroyAt9],
      now,
      startedAt,
      overrides: [override('skip_next', 'destroy')],
    });
    expect(decision).toMatchObject({ outcome: 'skipped', reason: 'disabled in its config (enabled: false)' });
    expect(decision).not.toHaveProperty('consumes');
  });
});
