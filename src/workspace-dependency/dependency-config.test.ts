import { describe, expect, it } from 'vitest';
import type { WorkspaceDefinition } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { chainOptions, dependencyGraph } from './dependency-config.ts';

const definition = (fields: Partial<WorkspaceDefinition>) => fields as WorkspaceDefinition;

const config = {
  workspaces: new Map([
    [
      'db',
      { definition: definition({ dependsOn: [], protect: true, contentHash: 'h-db' }), configError: null },
    ],
    [
      'app',
      {
        definition: definition({ dependsOn: ['db'], protect: false, contentHash: 'h-app' }),
        configError: null,
      },
    ],
    // Files that never validated: no definition, so no edges and nothing to protect.
    ['broken', { definition: null, configError: 'bad' }],
  ]),
} as unknown as EffectiveConfig;

describe('chain options from the configuration', () => {
  it('builds the graph from the definitions in force, leaving out workspaces without one', () => {
    expect([...dependencyGraph(config)]).toEqual([
      ['db', []],
      ['app', ['db']],
    ]);
  });

  it('reads protect and the content hash, with defaults for unknown or invalid workspaces', () => {
    const options = chainOptions(config, { destroyDependents: true, all: true });
    expect(options).toMatchObject({ destroyDependents: true, all: true });
    expect(['db', 'app', 'broken', 'gone'].map((name) => options.isProtected(name))).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(['db', 'broken'].map((name) => options.configHash(name))).toEqual(['h-db', null]);
  });
});
