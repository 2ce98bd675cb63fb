/**
 * Dependency checks shared by workspace `depends_on` and job `depends_on`: edges to unknown nodes and
 * cycles, each cycle reported once as the path that closes it (`a → b → a`).
 */
import { runAtOnce, ITEMS_PER_STEP, type Steps } from '../time/slices.ts';

export interface GraphProblems {
  missing: { from: string; to: string }[];
  cycles: string[][];
}

export function checkDependencies(graph: ReadonlyMap<string, readonly string[]>): GraphProblems {
  const missing: { from: string; to: string }[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) if (!graph.has(to)) missing.push({ from, to });
  }
  return { missing, cycles: runAtOnce(dependencyCycleSteps(graph)) };
}

/** The cycles of `graph`, with a pause point every few nodes started from (a reload at 10,000 units). */
export function* dependencyCycleSteps(graph: ReadonlyMap<string, readonly string[]>): Steps<string[][]> {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();

  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const id = [...cycle.slice(0, -1)].sort().join(',');
        if (!seen.has(id)) {
          seen.add(id);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(node, 'done');
  };

  let roots = 0;
  for (const node of [...graph.keys()].sort()) {
    if (!state.has(node)) visit(node);
    if (++roots % ITEMS_PER_STEP === 0) yield;
  }
  return cycles;
}

/** Nodes in an order where every node comes after its dependencies (cycles must be rejected first). */
export function dependencyOrder(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const place = (node: string): void => {
    if (placed.has(node)) return;
    placed.add(node);
    for (const dependency of graph.get(node) ?? []) if (graph.has(dependency)) place(dependency);
    order.push(node);
  };
  for (const node of [...graph.keys()].sort()) place(node);
  return order;
}
