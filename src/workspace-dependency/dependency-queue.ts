/**
 * Queues a deploy or destroy together with the runs its dependency chain needs (decision 022), in one
 * transaction: the chain is planned from the statuses and active runs read in it, the missing runs are
 * inserted with trigger `dependency`, and `run_waits` links each run to the runs it must wait for. The
 * claim query then holds every waiter until what it awaits succeeded; the dependency sweep cancels it
 * when that fails.
 */
import { randomUUID } from 'node:crypto';
import { TideError } from '../errors/tide-error.ts';
import { getRun, insertRun, listRuns, type NewRun } from '../run/run.repo.ts';
import { priorityFor, type Run } from '../run/run.ts';
import { inTransaction } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { listWorkspaceStatuses, type WorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import {
  chainCandidates,
  describeChain,
  directionOf,
  planChain,
  type ActiveRun,
  type Chain,
  type DependencyGraph,
} from './dependency-chain.ts';
import { insertWaits, type RunWait } from './run-wait.repo.ts';

export interface ChainOptions {
  readonly graph: DependencyGraph;
  /** `--with-dependencies` / `--with-dependents`: see ChainInput.all. */
  readonly all?: boolean;
  /**
   * A destroy with dependents to take down first is refused (`conflict`, naming them) unless this is set:
   * a person asking to destroy one workspace confirms the others. Scheduled destroys set it: the schedule
   * and `depends_on` already say so.
   */
  readonly destroyDependents: boolean;
  /** `protect: true`: a destroy chain through it is refused (`conflict`). */
  readonly isProtected: (workspace: string) => boolean;
  /** The environment a workspace is assigned to (docs/environments.md): a destroy chain through it is refused too. */
  readonly heldBy?: (workspace: string) => string | null;
  /** The content hash a dependency's run records. */
  readonly configHash: (workspace: string) => string | null;
  readonly newId?: () => string;
}

export interface QueuedChain {
  /** The run asked for. */
  readonly run: Run;
  /** The runs queued for its chain, in run order. */
  readonly queued: readonly Run[];
  /** Null for a run that has no chain (a plan, a job). */
  readonly chain: Chain | null;
}

/**
 * Inserts `target` and, for a deploy, mode or destroy, the runs of its chain and the waits between them.
 * Composes into the caller's transaction when given one (the scheduler's firing); the caller announces
 * the runs once its transaction committed.
 */
export async function queueWithChain(db: Db, target: NewRun, options: ChainOptions): Promise<QueuedChain> {
  return inTransaction(db, async (trx) => {
    const plan = await planRunChain(trx, target, options);
    if (plan.blocked) throw plan.blocked;
    return insertRunChain(trx, target, plan.chain, options);
  });
}

export interface ChainPlan {
  /** Null for a run that has no chain (a plan, a job). */
  readonly chain: Chain | null;
  /** Why the run must not be queued (a protected dependent, dependents not confirmed); null if it may. */
  readonly blocked: TideError | null;
}

/** Plans the chain from the statuses and active runs read through `db` (the caller's transaction). */
export async function planRunChain(
  db: Db,
  target: Pick<NewRun, 'workspace' | 'action' | 'job'>,
  options: ChainOptions,
): Promise<ChainPlan> {
  const direction = directionOf(target.action);
  if (direction === null || target.job) return { chain: null, blocked: null };
  // Most workspaces have no chain: then nothing is read, so a burst of firings does not read every
  // workspace's status and active run once per firing (decision 042).
  const chained = chainCandidates(options.graph, target.workspace, direction).length > 0;
  const statuses = chained
    ? new Map((await listWorkspaceStatuses(db)).map((s) => [s.workspace, s.status]))
    : new Map<string, WorkspaceStatus['status']>();
  const active = chained ? lastActiveRuns(await activeRuns(db)) : new Map<string, ActiveRun>();
  const chain = planChain({
    target: target.workspace,
    direction,
    graph: options.graph,
    status: (workspace) => statuses.get(workspace) ?? 'destroyed',
    lastActive: (workspace) => active.get(workspace) ?? null,
    all: options.all ?? false,
  });
  return { chain, blocked: direction === 'destroy' ? destroyBlocker(chain, options) : null };
}

/** Inserts the chain's new runs, then `target`, then the waits between them; in the caller's transaction. */
export async function insertRunChain(
  db: Db,
  target: NewRun,
  chain: Chain | null,
  options: Pick<ChainOptions, 'configHash' | 'newId'>,
): Promise<QueuedChain> {
  if (!chain) return { run: await insertRun(db, target), queued: [], chain: null };
  const newId = options.newId ?? randomUUID;
  const runIds = new Map<string, string>();
  const queued: Run[] = [];
  for (const step of chain.steps) {
    if (step.run.kind === 'await') {
      runIds.set(step.workspace, step.run.runId);
      continue;
    }
    const run = await insertRun(db, {
      id: newId(),
      workspace: step.workspace,
      action: chain.direction,
      trigger: 'dependency',
      actor: target.actor ?? null,
      // The chain goes at the pace of the run that needs it: a manual deploy's dependencies go first.
      priority: target.priority ?? priorityFor(target.trigger),
      config_hash: options.configHash(step.workspace),
      created_at: target.created_at,
    });
    runIds.set(step.workspace, run.id);
    queued.push(run);
  }
  const run = await insertRun(db, target);
  const waits: RunWait[] = [];
  const fresh = new Set(queued.map((r) => r.workspace));
  for (const step of chain.steps) {
    // A run already under way that is still queued waits for the new runs it needs too; one running has
    // started without them, as its own request decided.
    const awaited =
      step.run.kind === 'queue'
        ? step.waitsFor
        : (await getRun(db, step.run.runId))?.state === 'queued'
          ? step.waitsFor.filter((other) => fresh.has(other))
          : [];
    for (const other of awaited) {
      waits.push({
        waiter_run_id: runIds.get(step.workspace)!,
        awaited_run_id: runIds.get(other)!,
        dependency: other,
      });
    }
  }
  for (const step of chain.steps) {
    waits.push({
      waiter_run_id: run.id,
      awaited_run_id: runIds.get(step.workspace)!,
      dependency: step.workspace,
    });
  }
  await insertWaits(db, waits);
  return { run, queued, chain };
}

function destroyBlocker(chain: Chain, options: ChainOptions): TideError | null {
  const protectedOnes = chain.steps.map((s) => s.workspace).filter((name) => options.isProtected(name));
  if (protectedOnes.length > 0) {
    return new TideError(
      'conflict',
      `workspace "${chain.target}" cannot be destroyed: ${plural(protectedOnes, 'dependent')} ${quoted(protectedOnes)} ${protectedOnes.length === 1 ? 'is' : 'are'} protected (protect: true) and would be destroyed first`,
      { details: { workspace: chain.target, protected_dependents: protectedOnes } },
    );
  }
  const held = chain.steps.flatMap((s) => {
    const environment = options.heldBy?.(s.workspace) ?? null;
    return environment === null ? [] : [{ workspace: s.workspace, environment }];
  });
  if (held.length > 0) {
    const names = held.map((h) => h.workspace);
    return new TideError(
      'conflict',
      `workspace "${chain.target}" cannot be destroyed: ${plural(names, 'dependent')} ${held.map((h) => `"${h.workspace}" (environment "${h.environment}")`).join(', ')} would be destroyed first; switch the environment to another workspace first`,
      { details: { workspace: chain.target, environment_dependents: names } },
    );
  }
  if (chain.steps.length > 0 && !options.destroyDependents) {
    const names = chain.steps.map((s) => s.workspace);
    return new TideError(
      'conflict',
      `workspace "${chain.target}" has ${plural(names, 'dependent')} that would be destroyed first: ${quoted(names)} (order: ${describeChain(chain)}); pass --with-dependents (with_dependents: true) to destroy them too`,
      { details: { workspace: chain.target, dependents: names, chain: describeChain(chain) } },
    );
  }
  return null;
}

const plural = (names: readonly string[], word: string): string => (names.length === 1 ? word : `${word}s`);
const quoted = (names: readonly string[]): string => names.map((name) => `"${name}"`).join(', ');

async function activeRuns(db: Db): Promise<Run[]> {
  const runs: Run[] = [];
  let cursor: string | null = null;
  do {
    const page = await listRuns(db, { state: ['queued', 'running'], limit: 500, cursor });
    runs.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return runs;
}

/** Per lock key (workspace), the run its queue ends with: the last queued one, or else the running one. */
function lastActiveRuns(runs: readonly Run[]): Map<string, ActiveRun> {
  const last = new Map<string, Run>();
  for (const run of runs) {
    if (run.job) continue;
    const current = last.get(run.workspace);
    if (!current || laterInQueue(run, current)) last.set(run.workspace, run);
  }
  return new Map([...last].map(([workspace, run]) => [workspace, { id: run.id, action: run.action }]));
}

function laterInQueue(a: Run, b: Run): boolean {
  if (a.state !== b.state) return a.state === 'queued';
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.created_at !== b.created_at) return a.created_at > b.created_at;
  return a.id > b.id;
}
