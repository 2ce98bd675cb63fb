import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_NOW, fixtureConfigDir, loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { Run } from '../run/run.ts';
import type { WorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { currentRun, workspaceView, type WorkspaceViewInput } from './workspace-view.ts';

let config: EffectiveConfig;
const configDir = fixtureConfigDir();
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

function run(fields: Partial<Run>): Run {
  return {
    id: 'r',
    workspace: 'web',
    job: null,
    action: 'deploy',
    mode: null,
    state: 'queued',
    trigger: 'api',
    actor: null,
    attempt: 1,
    retry_of: null,
    firing_id: null,
    lock_key: 'web',
    priority: 0,
    created_at: FIXTURE_NOW,
    started_at: null,
    finished_at: null,
    exit_code: null,
    reason: null,
    plan_summary: null,
    outputs: null,
    lease_owner: null,
    lease_expires_at: null,
    fencing_token: 0,
    config_hash: null,
    not_before: null,
    cancel_requested_at: null,
    ttl_seconds: null,
    ...fields,
  };
}

function status(fields: Partial<WorkspaceStatus>): WorkspaceStatus {
  return {
    workspace: 'web',
    status: 'deployed',
    mode: null,
    drifted: false,
    enabled_override: null,
    config_hash: null,
    config_error: null,
    last_run_id: null,
    status_before_run: null,
    deployed_at: null,
    destroyed_at: null,
    status_changed_at: null,
    updated_at: FIXTURE_NOW,
    drift_checked_at: null,
    drift_since: null,
    drift_run_id: null,
    drift_summary: null,
    drift_addresses: [],
    ...fields,
  };
}

function view(name: string, input: Partial<WorkspaceViewInput> = {}) {
  return workspaceView({
    name,
    effective: config.workspaces.get(name)!,
    status: null,
    activeRuns: [],
    lastRun: null,
    calendars: config.snapshot.calendars,
    now: new Date(FIXTURE_NOW),
    ...input,
  });
}

describe('workspaceView', () => {
  it('shows a workspace Tide never acted on as destroyed, enabled as configured', () => {
    expect(view('web')).toMatchObject({ status: 'destroyed', mode: null, drifted: false, enabled: true });
    expect(view('idle').enabled).toBe(false);
  });

  it('lets the enable/disable override win over the config, both ways', () => {
    expect(view('web', { status: status({ enabled_override: false }) }).enabled).toBe(false);
    expect(view('idle', { status: status({ enabled_override: true }) }).enabled).toBe(true);
  });

  it('lists the next five firings as ISO UTC instants, and none while disabled', () => {
    const firings = view('web').next_firings;
    expect(firings).toHaveLength(5);
    expect(firings.every((firing) => firing.scheduled_at.endsWith('Z'))).toBe(true);
    expect(view('web', { status: status({ enabled_override: false }) }).next_firings).toEqual([]);
  });

  it('keeps a workspace whose files never validated, with its error and no definition-derived fields', () => {
    expect(view('broken')).toMatchObject({
      enabled: false,
      description: '',
      timezone: null,
      modes: [],
      next_firings: [],
      config_error: expect.stringContaining('invalid cron expression'),
    });
  });

  it('shows runs without queue internals', () => {
    const shown = view('web', { activeRuns: [run({ id: 'a' })], lastRun: run({ id: 'b', state: 'failed' }) });
    expect(shown.current_run).toMatchObject({ id: 'a', state: 'queued' });
    expect(shown.last_run).toMatchObject({ id: 'b', state: 'failed' });
    expect(shown.current_run).not.toHaveProperty('lock_key');
  });
});

describe('workspaceView ttl', () => {
  const ttl = {
    workspace: 'web',
    destroyAt: new Date('2027-03-15T10:00:00Z'),
    runId: 'r1',
    setAt: new Date(FIXTURE_NOW),
  };
  const keepUp = (id: string, endsAt: string, extra: object = {}) => ({
    id,
    workspace: 'web',
    kind: 'keep_up_until' as const,
    action: null,
    ends_at: new Date(endsAt),
    reason: null,
    actor: 'alice',
    created_at: new Date(FIXTURE_NOW),
    removed_at: null,
    consumed_at: null,
    ...extra,
  });

  it('is null without a running TTL', () => {
    expect(view('web').ttl).toBeNull();
  });

  it('destroys at the TTL end when no keep_up_until outlasts it', () => {
    expect(view('web', { ttl, overrides: [keepUp('k', '2027-03-15T09:00:00Z')] }).ttl).toEqual({
      destroy_at: '2027-03-15T10:00:00.000Z',
      ends_at: '2027-03-15T10:00:00.000Z',
      extended_until: null,
      run_id: 'r1',
      set_at: FIXTURE_NOW,
    });
  });

  it('destroys at the end of the latest active keep_up_until, as the scheduler does; a removed one is ignored', () => {
    const overrides = [
      keepUp('a', '2027-03-15T11:00:00Z'),
      keepUp('b', '2027-03-15T12:00:00Z'),
      keepUp('c', '2027-03-15T13:00:00Z', { removed_at: new Date(FIXTURE_NOW) }),
    ];
    expect(view('web', { ttl, overrides }).ttl).toMatchObject({
      destroy_at: '2027-03-15T12:00:00.000Z',
      ends_at: '2027-03-15T10:00:00.000Z',
      extended_until: '2027-03-15T12:00:00.000Z',
    });
  });
});

describe('currentRun', () => {
  it('is the running run if there is one', () => {
    const runs = [run({ id: 'q' }), run({ id: 'r', state: 'running' })];
    expect(currentRun(runs)?.id).toBe('r');
  });

  it('is otherwise the queued run the worker claims first: interactive before scheduled, then oldest', () => {
    const runs = [
      run({ id: 'scheduled-old', priority: 1, created_at: '2027-03-15T05:00:00.000Z' }),
      run({ id: 'manual-new', priority: 0, created_at: '2027-03-15T05:30:00.000Z' }),
      run({ id: 'manual-newer', priority: 0, created_at: '2027-03-15T05:40:00.000Z' }),
    ];
    expect(currentRun(runs)?.id).toBe('manual-new');
    expect(currentRun([])).toBeNull();
  });
});
