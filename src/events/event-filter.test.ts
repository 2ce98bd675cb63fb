import { describe, expect, it } from 'vitest';
import { WorkspaceScope } from '../auth/workspace-scope.ts';
import { STANDALONE_WORKSPACE } from '../run/run.ts';
import {
  EventFilter,
  everything,
  runLogMessage,
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
});
