import { describe, expect, it } from 'vitest';
import type { ConfigProblem, ConfigSnapshot, WorkspaceDefinition } from './config-model.ts';
import { applySnapshot } from './effective-config.ts';

function workspace(name: string, contentHash: string): WorkspaceDefinition {
  return { name, contentHash } as WorkspaceDefinition;
}

function snapshot(workspaces: WorkspaceDefinition[], problems: ConfigProblem[] = []): ConfigSnapshot {
  return {
    directory: '/config',
    workspaces: new Map(workspaces.map((w) => [w.name, w])),
    jobs: new Map(),
    calendars: new Map(),
    templates: new Map(),
    problems,
  };
}

const brokenWeb: ConfigProblem = {
  severity: 'error',
  file: 'workspaces/web/config.json',
  path: 'deploy_schedule',
  message: 'invalid cron expression "nope"',
  unit: { kind: 'workspace', name: 'web' },
};

describe('applying a reloaded snapshot', () => {
  it('reports added, updated and removed workspaces by content hash', () => {
    const first = applySnapshot(null, snapshot([workspace('web', 'h1'), workspace('db', 'h1')]));
    expect(first.changes).toEqual([
      { kind: 'workspace', name: 'db', change: 'added' },
      { kind: 'workspace', name: 'web', change: 'added' },
    ]);
    const second = applySnapshot(first.next, snapshot([workspace('web', 'h2'), workspace('cache', 'h1')]));
    expect(second.changes).toEqual([
      { kind: 'workspace', name: 'cache', change: 'added' },
      { kind: 'workspace', name: 'web', change: 'updated' },
      { kind: 'workspace', name: 'db', change: 'removed' },
    ]);
  });

  it('reports nothing when the content is unchanged', () => {
    const first = applySnapshot(null, snapshot([workspace('web', 'h1')]));
    expect(applySnapshot(first.next, snapshot([workspace('web', 'h1')])).changes).toEqual([]);
  });

  it('keeps the last good definition of a rejected workspace and shows the error', () => {
    const good = applySnapshot(null, snapshot([workspace('web', 'h1')]));
    const rejected = applySnapshot(good.next, snapshot([], [brokenWeb]));
    expect(rejected.changes).toEqual([{ kind: 'workspace', name: 'web', change: 'rejected' }]);
    const web = rejected.next.workspaces.get('web')!;
    expect(web.definition?.contentHash).toBe('h1');
    expect(web.configError).toBe(
      'workspaces/web/config.json: deploy_schedule: invalid cron expression "nope"',
    );
    const fixed = applySnapshot(rejected.next, snapshot([workspace('web', 'h3')]));
    expect(fixed.changes).toEqual([{ kind: 'workspace', name: 'web', change: 'recovered' }]);
    expect(fixed.next.workspaces.get('web')).toEqual({
      definition: workspace('web', 'h3'),
      configError: null,
    });
  });

  it('lists a workspace that never had a valid config with its error and no definition', () => {
    const { next } = applySnapshot(null, snapshot([], [brokenWeb]));
    expect(next.workspaces.get('web')).toEqual({
      definition: null,
      configError: expect.stringContaining('invalid cron'),
    });
  });
});

describe('a reload that leaves a definition unchanged', () => {
  it('keeps its entry object, and builds a new one for a changed or recovered definition', () => {
    const web = workspace('web', 'h1');
    const db = workspace('db', 'h1');
    const first = applySnapshot(null, snapshot([web, db]));
    const edited = workspace('db', 'h2');
    const second = applySnapshot(first.next, snapshot([web, edited]));
    expect(second.next.workspaces.get('web')).toBe(first.next.workspaces.get('web'));
    expect(second.next.workspaces.get('db')).toEqual({ definition: edited, configError: null });
    const broken = applySnapshot(second.next, snapshot([edited], [brokenWeb]));
    const recovered = applySnapshot(broken.next, snapshot([web, edited]));
    expect(recovered.next.workspaces.get('web')).toEqual({ definition: web, configError: null });
    expect(recovered.next.workspaces.get('web')).not.toBe(broken.next.workspaces.get('web'));
  });
});
