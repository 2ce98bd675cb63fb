/**
 * What the API and the CLI see of dependency chains (decision 022): the runs a run waits for, and the
 * runs waiting for it.
 */
import { TideError } from '../errors/tide-error.ts';
import { getRun } from '../run/run.repo.ts';
import type { Run } from '../run/run.ts';
import type { Db } from '../store/schema.ts';
import { awaitedRuns, waitingRuns } from './run-wait.repo.ts';

/** One run of a chain. */
export interface ChainRunView {
  readonly run_id: string;
  readonly workspace: string;
  readonly action: Run['action'];
  readonly state: Run['state'];
  readonly trigger: Run['trigger'];
  readonly reason: string | null;
  /** The runs it waits for directly. */
  readonly waits_for: readonly string[];
}

export interface RunDependencies {
  readonly run_id: string;
  /** Every run this one waits for, directly or through others, in the order they run (oldest first). */
  readonly waits_for: readonly ChainRunView[];
  /** The runs waiting for this one (directly). */
  readonly needed_by: readonly ChainRunView[];
}

export class DependencyService {
  readonly #db: Db;

  constructor(deps: { readonly db: Db }) {
    this.#db = deps.db;
  }

  /** The run's chain; `not_found` when there is no such run. */
  async runDependencies(runId: string): Promise<RunDependencies> {
    const run = await getRun(this.#db, runId);
    if (!run) throw new TideError('not_found', `run ${runId} does not exist`, { details: { run_id: runId } });
    const seen = new Map<string, ChainRunView>();
    const pending = [run.id];
    while (pending.length > 0) {
      const id = pending.shift()!;
      for (const awaited of await awaitedRuns(this.#db, id)) {
        if (seen.has(awaited.id)) continue;
        seen.set(awaited.id, await this.#view(awaited));
        pending.push(awaited.id);
      }
    }
    const waitsFor = [...seen.values()].sort((a, b) => order(a, b, seen));
    const neededBy = await Promise.all((await waitingRuns(this.#db, run.id)).map((r) => this.#view(r)));
    return { run_id: run.id, waits_for: waitsFor, needed_by: neededBy };
  }

  async #view(run: Run): Promise<ChainRunView> {
    const awaited = await awaitedRuns(this.#db, run.id);
    return {
      run_id: run.id,
      workspace: run.workspace,
      action: run.action,
      state: run.state,
      trigger: run.trigger,
      reason: run.reason,
      waits_for: awaited.map((a) => a.id),
    };
  }
}

/**
 * A run after every run it waits for (transitively); otherwise by workspace. Waits always point at runs
 * that existed before their waiter, so they form no cycle; `all` holds every run a view waits for.
 */
function order(a: ChainRunView, b: ChainRunView, all: ReadonlyMap<string, ChainRunView>): number {
  const depth = (view: ChainRunView): number =>
    Math.max(0, ...view.waits_for.map((id) => 1 + depth(all.get(id)!)));
  return depth(a) - depth(b) || a.workspace.localeCompare(b.workspace);
}
