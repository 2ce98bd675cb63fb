/**
 * Which runs a deploy or a destroy needs first (decision 022). Pure functions of the `depends_on` graph,
 * the workspaces' observed statuses and their active runs, so the ordering is testable without a store.
 *
 * - A deploy (or mode switch) of X first brings up every workspace X depends on, transitively, that will
 *   not be `deployed` by the time X runs; `redeploy` (`--with-dependencies`) deploys all of them.
 * - A destroy of X first destroys every workspace that depends on X, transitively, that will not be
 *   `destroyed` by then, dependents of dependents first.
 *
 * A workspace whose last active run (queued or running, in its queue's order) already moves it the right
 * way is not asked twice: the chain waits for that run. One moving it the other way gets a new run queued
 * behind it. Cycles are validation errors (src/config/dependency-graph.ts), so the graph here has none.
 */
import type { WorkspaceObservedStatus } from '../store/schema.ts';

/** `depends_on` of every workspace with a valid definition. */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

export type ChainDirection = 'deploy' | 'destroy';

/** The last queued or running run of a workspace, in its queue's order. */
export interface ActiveRun {
  readonly id: string;
  readonly action: string;
}

export interface ChainInput {
  readonly target: string;
  readonly direction: ChainDirection;
  readonly graph: DependencyGraph;
  /** Observed status; a workspace never seen is `destroyed`. */
  readonly status: (workspace: string) => WorkspaceObservedStatus;
  readonly lastActive: (workspace: string) => ActiveRun | null;
  /** Deploy: also redeploy dependencies already `deployed`. Destroy: also destroy `destroyed` dependents. */
  readonly all?: boolean;
}

export interface ChainStep {
  readonly workspace: string;
  /** `queue`: a new run with trigger `dependency`; `await`: an active run already doing it. */
  readonly run: { readonly kind: 'queue' } | { readonly kind: 'await'; readonly runId: string };
  /** Steps (workspaces) of this chain this step's run must wait for. */
  readonly waitsFor: readonly string[];
}

export interface Chain {
  readonly target: string;
  readonly direction: ChainDirection;
  /** In the order they run: dependencies before dependents for a deploy, dependents first for a destroy. */
  readonly steps: readonly ChainStep[];
}

/** What a run of `action` leaves its workspace as, if it is a deploy or destroy; null otherwise. */
export function directionOf(action: string): ChainDirection | null {
  if (action === 'deploy' || action === 'mode') return 'deploy';
  if (action === 'destroy') return 'destroy';
  return null;
}

/** The reverse graph: for each workspace, the workspaces that depend on it. */
export function dependentsGraph(graph: DependencyGraph): Map<string, string[]> {
  const reverse = new Map<string, string[]>([...graph.keys()].map((name) => [name, []]));
  for (const [from, targets] of graph)
    for (const to of targets) if (reverse.has(to)) reverse.get(to)!.push(from);
  for (const list of reverse.values()) list.sort();
  return reverse;
}

/**
 * Every workspace reachable from `start` along `edges`, each after all it reaches (post-order): for the
 * dependency graph, dependencies before dependents. `start` itself is not included.
 */
export function reachableInOrder(edges: DependencyGraph, start: string): string[] {
  const order: string[] = [];
  const seen = new Set<string>([start]);
  const visit = (node: string): void => {
    for (const next of [...(edges.get(node) ?? [])].sort()) {
      if (seen.has(next) || !edges.has(next)) continue;
      seen.add(next);
      visit(next);
      order.push(next);
    }
  };
  visit(start);
  return order;
}

/** The chain of runs a deploy or destroy of `target` needs before it can run. */
/** For a deploy, a step waits for what it depends on; for a destroy, for what depends on it. */
function chainEdges(graph: DependencyGraph, direction: ChainDirection): DependencyGraph {
  return direction === 'deploy' ? graph : dependentsGraph(graph);
}

/** The workspaces a chain to `target` may include: the only ones planChain asks a status or active run of. */
export function chainCandidates(graph: DependencyGraph, target: string, direction: ChainDirection): string[] {
  return reachableInOrder(chainEdges(graph, direction), target);
}

export function planChain(input: ChainInput): Chain {
  const { target, direction } = input;
  const edges = chainEdges(input.graph, direction);
  const candidates = reachableInOrder(edges, target);
  const steps: ChainStep[] = [];
  const inChain = new Set<string>();
  for (const workspace of candidates) {
    const run = stepRun(workspace, input);
    if (!run) continue;
    const waitsFor = reachableInOrder(edges, workspace).filter((other) => inChain.has(other));
    steps.push({ workspace, run, waitsFor });
    inChain.add(workspace);
  }
  return { target, direction, steps };
}

function stepRun(workspace: string, input: ChainInput): ChainStep['run'] | null {
  const active = input.lastActive(workspace);
  const activeDirection = active ? directionOf(active.action) : null;
  if (active && activeDirection === input.direction) return { kind: 'await', runId: active.id };
  // A run moving it the other way (or a job, a plan) ends before a new one: queue behind it.
  if (active && activeDirection !== null) return { kind: 'queue' };
  const settled = input.direction === 'deploy' ? 'deployed' : 'destroyed';
  if (input.status(workspace) === settled && !input.all) return null;
  return { kind: 'queue' };
}

/** `db → cache → app`: the chain's workspaces in run order, then the target. */
export function describeChain(chain: Chain): string {
  return [...chain.steps.map((step) => step.workspace), chain.target].join(' → ');
}

/** The chain as the configuration declares it, whatever the statuses: what the schedule preview shows. */
export interface DeclaredChain {
  /** What a deploy brings up first (those not deployed), in the order it does. */
  readonly deploy: readonly string[];
  /** What a destroy takes down first (those not destroyed), in the order it does. */
  readonly destroy: readonly string[];
}

export function declaredChain(graph: DependencyGraph, target: string): DeclaredChain {
  return {
    deploy: reachableInOrder(graph, target),
    destroy: reachableInOrder(dependentsGraph(graph), target),
  };
}
