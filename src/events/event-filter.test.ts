import { describe, expect, it } from 'vitest';
import { WorkspaceScope } from '../auth/workspace-scope.ts';
import { STANDALONE_WORKSPACE, type Run } from '../run/run.ts';
import {
  EventFilter,
  everything,
  firingMessage,
  runLogMessage,
  runUpdatedMessage,
  subscribeMessageSchema,
  workspaceStatusMessage,
  type EventMessage,
} from './event-filter.ts';

const status = (workspace: string): EventMessage =>
  workspaceStatusMessage({ workspace, status: 'deployed', mode: null });
const log = (workspace: string): EventMessage =>
  runLogMessage({ runId: 'run-1', workspace, seq: 1, stream: 'stdout', lines: ['ok'] });

const teamA = WorkspaceScope.of(['team-a-*']);
const all = WorkspaceScope.all;

describe('event filter', () => {
  it('admits only workspaces inside the principal scope', () => {
    const filter = new EventFilter(everything);
    expect(filter.admits(teamA, status('team-a-web'))).toBe(true);
    expect(filter.admits(teamA, status('team-b-web'))).toBe(false);
    expect(filter.admits(all, status('team-b-web'))).toBe(true);
  });

  it('keeps standalone jobs from every principal with workspace patterns, even "*"', () => {
    const filter = new EventFilter(everything);
    expect(filter.admits(all, log(STANDALONE_WORKSPACE))).toBe(true);
    expect(filter.admits(WorkspaceScope.of(['*']), log(STANDALONE_WORKSPACE))).toBe(false);
  });

  it('narrows by subscribed types and workspace patterns, within the scope', () => {
    const filter = new EventFilter({ workspaces: ['team-*'], types: ['run.log'] });
    expect(filter.admits(all, log('team-b-web'))).toBe(true);
    expect(filter.admits(all, status('team-b-web'))).toBe(false);
    expect(filter.admits(all, log('web'))).toBe(false);
    expect(filter.admits(teamA, log('team-b-web'))).toBe(false);
  });

  it('carries log lines exactly as the hub announced them', () => {
    expect(log('web')).toEqual({
      type: 'run.log',
      run_id: 'run-1',
      workspace: 'web',
      seq: 1,
      stream: 'stdout',
      lines: ['ok'],
    });
  });

  it('accepts workspace patterns and _standalone_ in a subscription, and nothing else', () => {
    const accepts = (subscribe: unknown) => subscribeMessageSchema.safeParse({ subscribe }).success;
    expect(accepts({})).toBe(true);
    expect(accepts({ workspaces: ['web', 'team-a-*', STANDALONE_WORKSPACE], types: ['run.log'] })).toBe(true);
    expect(accepts({ workspaces: [] })).toBe(false);
    expect(accepts({ workspaces: ['Web'] })).toBe(false);
    expect(accepts({ workspaces: ['a%'] })).toBe(false);
    expect(accepts({ types: ['run.deleted'] })).toBe(false);
    expect(accepts({ everything: true })).toBe(false);
  });

  it('adds drifted to a status message only when the hub knew it', () => {
    expect(
      workspaceStatusMessage({ workspace: 'web', status: 'deployed', mode: 'full', drifted: true }),
    ).toEqual({
      type: 'workspace.status',
      workspace: 'web',
      status: 'deployed',
      mode: 'full',
      drifted: true,
    });
    expect(status('web')).not.toHaveProperty('drifted');
  });

  it('filters a firing by its workspace', () => {
    const firing = firingMessage({
      workspace: 'team-a-web',
      schedule_key: 'destroy_schedule:0 18 * * *',
      action: 'destroy',
      scheduled_at: '2027-03-01T18:00:00.000Z',
      outcome: 'started',
      reason: null,
      run_id: 'run-1',
    });
    expect(firing).toMatchObject({ type: 'firing.recorded', workspace: 'team-a-web', run_id: 'run-1' });
    expect(new EventFilter(everything).admits(teamA, firing)).toBe(true);
    expect(new EventFilter(everything).admits(WorkspaceScope.of(['team-b-*']), firing)).toBe(false);
  });

  it('reads a subscribe message: each list it names narrows, each it omits does not', () => {
    const fromMessage = (subscribe: object) =>
      EventFilter.fromMessage(subscribeMessageSchema.parse({ subscribe }));
    expect(fromMessage({}).subscription).toEqual(everything);
    const byType = fromMessage({ types: ['run.log'] });
    expect(byType.subscription).toEqual({ workspaces: null, types: ['run.log'] });
    expect(byType.admits(all, log('web'))).toBe(true);
    expect(byType.admits(all, status('web'))).toBe(false);
    const byWorkspace = fromMessage({ workspaces: ['web'] });
    expect(byWorkspace.subscription).toEqual({ workspaces: ['web'], types: null });
    expect(byWorkspace.admits(all, status('web'))).toBe(true);
    expect(byWorkspace.admits(all, status('shop'))).toBe(false);
  });

  it("filters a run update by the run's workspace", () => {
    const run: Run = {
      id: 'run-1',
      workspace: 'team-a-web',
      job: null,
      action: 'deploy',
      mode: null,
      state: 'running',
      trigger: 'api',
      actor: 'user:alice',
      attempt: 1,
      retry_of: null,
      firing_id: null,
      lock_key: 'team-a-web',
      priority: 0,
      created_at: '2027-03-01T10:00:00.000Z',
      started_at: '2027-03-01T10:00:01.000Z',
      finished_at: null,
      exit_code: null,
      reason: null,
      plan_summary: null,
      outputs: null,
      lease_owner: 'replica-a',
      lease_expires_at: '2027-03-01T10:01:01.000Z',
      fencing_token: 1,
      config_hash: null,
      not_before: null,
      cancel_requested_at: null,
      ttl_seconds: null,
    };
    const message = runUpdatedMessage(run);
    expect(message).toMatchObject({ type: 'run.updated', run: { id: 'run-1', workspace: 'team-a-web' } });
    expect(new EventFilter(everything).admits(teamA, message)).toBe(true);
    expect(new EventFilter(everything).admits(WorkspaceScope.of(['team-b-*']), message)).toBe(false);
  });
});
