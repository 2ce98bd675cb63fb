import { describe, expect, it } from 'vitest';
import { globToLike, WorkspaceScope, workspacePatternsSchema } from './workspace-scope.ts';

describe('workspace scopes', () => {
  it('matches glob patterns anchored at both ends', () => {
    const scope = WorkspaceScope.of(['team-a-*', 'shared']);
    expect(['team-a-web', 'team-a-', 'shared'].filter((name) => scope.allows(name))).toHaveLength(3);
    expect(['team-b-x', 'xteam-a-web', 'shared-2', 'shar'].some((name) => scope.allows(name))).toBe(false);
  });

  it('admits every workspace without patterns', () => {
    expect(WorkspaceScope.of(null).unrestricted).toBe(true);
    expect(WorkspaceScope.of(null, null).allows('anything')).toBe(true);
    expect(WorkspaceScope.all.unrestricted).toBe(true);
    expect(WorkspaceScope.all.allows('anything')).toBe(true);
  });

  it('is restricted as soon as one set of patterns applies', () => {
    expect(WorkspaceScope.of(null, ['*']).unrestricted).toBe(false);
  });

  it('takes every character of a pattern but * literally', () => {
    const scope = WorkspaceScope.of(['v1.2', 'c++', '(a|b)']);
    expect(['v1.2', 'c++', '(a|b)'].every((name) => scope.allows(name))).toBe(true);
    expect(['v1x2', 'cc', 'a'].some((name) => scope.allows(name))).toBe(false);
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

describe('workspace patterns as given to the API', () => {
  const accepts = (patterns: string[]) => workspacePatternsSchema.safeParse(patterns).success;

  it('accepts lower-case names, digits, "-" and "*", up to 63 characters', () => {
    expect(accepts(['team-a-*', '*', 'web', '0-db', '*-web', 'a'.repeat(63)])).toBe(true);
  });

  it('refuses anything else, naming the pattern', () => {
    for (const pattern of ['Team-a', '-web', 'web_1', 'web%', 'a b', '', 'a'.repeat(64)])
      expect(accepts([pattern]), pattern).toBe(false);
    const result = workspacePatternsSchema.safeParse(['ok', 'Web']);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: [1],
        message: 'invalid workspace pattern "Web": lower-case letters, digits, "-" and "*"',
      }),
    ]);
  });

  it('takes between 1 and 100 patterns', () => {
    expect(accepts([])).toBe(false);
    expect(accepts(Array.from({ length: 100 }, (_, index) => `team-${index}`))).toBe(true);
    expect(accepts(Array.from({ length: 101 }, (_, index) => `team-${index}`))).toBe(false);
  });
});
