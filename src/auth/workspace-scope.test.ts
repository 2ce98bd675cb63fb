import { describe, expect, it } from 'vitest';
import { globToLike, WorkspaceScope } from './workspace-scope.ts';

describe('workspace scopes', () => {
  it('matches glob patterns anchored at both ends', () => {
    const scope = WorkspaceScope.of(['team-a-*', 'shared']);
    expect(['team-a-web', 'team-a-', 'shared'].filter((name) => scope.allows(name))).toHaveLength(3);
    expect(['team-b-x', 'xteam-a-web', 'shared-2', 'shar'].some((name) => scope.allows(name))).toBe(false);
  });

  it('admits every workspace without patterns', () => {
    expect(WorkspaceScope.of(null).unrestricted).toBe(true);
    expect(WorkspaceScope.of(null, null).allows('anything')).toBe(true);
  });

  it('admits only what every pattern set admits (a token within its creator)', () => {
    const scope = WorkspaceScope.of(['*-web'], ['team-a-*']);
    expect(scope.allows('team-a-web')).toBe(true);
    expect(scope.allows('team-b-web')).toBe(false);
    expect(scope.allows('team-a-db')).toBe(false);
  });

  it('tells whether a pattern stays inside the scope', () => {
    const scope = WorkspaceScope.of(['team-a-*']);
    expect(scope.covers('team-a-web-*')).toBe(true);
    expect(scope.covers('team-a-web')).toBe(true);
    expect(scope.covers('team-*')).toBe(false);
    expect(scope.covers('*')).toBe(false);
    expect(WorkspaceScope.all.covers('*')).toBe(true);
  });

  it('turns a pattern into the LIKE pattern the run list filters with', () => {
    expect(globToLike('team-a-*')).toBe('team-a-%');
  });
});
