/** The chain options the configuration in force gives: its `depends_on` graph, `protect` and hashes. */
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { DependencyGraph } from './dependency-chain.ts';
import type { ChainOptions } from './dependency-queue.ts';

/** `depends_on` of every workspace with a definition in force (the last good one while files are invalid). */
export function dependencyGraph(config: EffectiveConfig): DependencyGraph {
  const graph = new Map<string, readonly string[]>();
  for (const [name, { definition }] of config.workspaces)
    if (definition) graph.set(name, definition.dependsOn);
  return graph;
}

export function chainOptions(
  config: EffectiveConfig,
  choices: Pick<ChainOptions, 'all' | 'destroyDependents' | 'newId' | 'heldBy'>,
): ChainOptions {
  const definition = (name: string) => config.workspaces.get(name)?.definition ?? null;
  return {
    ...choices,
    graph: dependencyGraph(config),
    isProtected: (name) => definition(name)?.protect ?? false,
    configHash: (name) => definition(name)?.contentHash ?? null,
  };
}
