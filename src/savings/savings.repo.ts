/** The run history savings are computed from: succeeded deploy/destroy finishes, oldest first. */
import { storeCall } from '../store/store-errors.ts';
import { toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import type { LifecycleEvent } from './savings.ts';

/**
 * Every succeeded deploy and destroy of `workspaces` that finished before `until`, grouped by workspace.
 * Runs before the period are read too: the last of them decides whether the period starts down.
 */
export async function lifecycleEvents(
  db: Db,
  workspaces: readonly string[],
  until: Date,
): Promise<Map<string, LifecycleEvent[]>> {
  const byWorkspace = new Map<string, LifecycleEvent[]>(workspaces.map((name) => [name, []]));
  if (workspaces.length === 0) return byWorkspace;
  const rows = await storeCall('lifecycleEvents', () =>
    db
      .selectFrom('runs')
      .select(['workspace', 'action', 'finished_at'])
      .where('state', '=', 'succeeded')
      .where('action', 'in', ['deploy', 'destroy'])
      .where('workspace', 'in', [...workspaces])
      .where('finished_at', 'is not', null)
      .where('finished_at', '<', toInstant(until))
      .orderBy('finished_at')
      .execute(),
  );
  for (const row of rows) {
    byWorkspace.get(row.workspace)?.push({
      action: row.action as LifecycleEvent['action'],
      finishedAt: Date.parse(row.finished_at!),
    });
  }
  return byWorkspace;
}
