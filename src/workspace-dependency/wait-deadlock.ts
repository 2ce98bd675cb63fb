/**
 * Deadlocks between dependency chains (decision 022). A queued run cannot start before the runs ahead of
 * it in its lock key's queue (and a running one) end, nor before the runs it awaits (`run_waits`)
 * succeeded. Chains that cross in opposite directions with different priorities can close a cycle of
 * these "waits for" edges; nothing in it would ever start. Pure, so the sweep's choice is testable.
 */

export interface ActiveQueueRun {
  readonly id: string;
  readonly workspace: string;
  readonly action: string;
  readonly lock_key: string;
  readonly state: 'queued' | 'running';
  readonly priority: number;
  readonly created_at: string;
}

export interface ActiveWait {
  readonly waiter: string;
  readonly awaited: string;
}

const byQueueOrder = (a: ActiveQueueRun, b: ActiveQueueRun): number =>
  a.priority - b.priority ||
  (a.created_at < b.created_at
    ? -1
    : a.created_at > b.created_at
      ? 1
      : a.id < b.id
        ? -1
        : a.id > b.id
          ? 1
          : 0);

/** One cycle of waits-for edges among the active runs (ids, each waiting for the next), or null. */
export function findWaitCycle(
  runs: readonly ActiveQueueRun[],
  waits: readonly ActiveWait[],
): string[] | null {
  const edges = new Map<string, string[]>(runs.map((run) => [run.id, []]));
  const byKey = new Map<string, ActiveQueueRun[]>();
  for (const run of runs) byKey.set(run.lock_key, [...(byKey.get(run.lock_key) ?? []), run]);
  for (const queue of byKey.values()) {
    const running = queue.filter((run) => run.state === 'running');
    const queued = queue.filter((run) => run.state === 'queued').sort(byQueueOrder);
    // Each queued run waits for the one ahead of it, and the head for what is running.
    queued.forEach((run, index) => {
      const ahead = index === 0 ? running : [queued[index - 1]!];
      edges.get(run.id)!.push(...ahead.map((other) => other.id));
    });
  }
  for (const wait of waits) if (edges.has(wait.awaited)) edges.get(wait.waiter)?.push(wait.awaited);

  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of edges.get(id)!) {
      if (state.get(next) === 'visiting') return stack.slice(stack.indexOf(next));
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const run of [...runs].sort(byQueueOrder)) {
    if (state.has(run.id)) continue;
    const cycle = visit(run.id);
    if (cycle) return cycle;
  }
  return null;
}

/**
 * The run to cancel to break a cycle: the newest run in it that awaits another (the newest chain gives
 * way, so the one asked for first goes on). Every cycle holds one, since queue edges alone never close one.
 */
export function deadlockVictim(
  cycle: readonly string[],
  runs: readonly ActiveQueueRun[],
  waits: readonly ActiveWait[],
): ActiveQueueRun {
  const waiters = new Set(waits.map((wait) => wait.waiter));
  const members = runs.filter((run) => cycle.includes(run.id) && waiters.has(run.id));
  const newestFirst = (a: ActiveQueueRun, b: ActiveQueueRun): number =>
    a.created_at !== b.created_at ? (a.created_at < b.created_at ? 1 : -1) : a.id < b.id ? 1 : -1;
  return members.sort(newestFirst)[0]!;
}

/** `app deploy (run 1f…) → db deploy (run 9c…) → …`, back to the first. */
export function describeCycle(cycle: readonly string[], runs: readonly ActiveQueueRun[]): string {
  const named = (id: string) => {
    const run = runs.find((r) => r.id === id)!;
    return `${run.workspace} ${run.action} (run ${run.id})`;
  };
  return [...cycle, cycle[0]!].map(named).join(' → ');
}
