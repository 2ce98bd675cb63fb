import type { Db } from '../../store/schema.ts';
import { storeCall } from '../../store/store-errors.ts';

/**
 * The workspace's current outputs: those of its latest succeeded deploy, mode switch or destroy (a destroy
 * records none), or none if it never ran. Jobs in its context get them as TIDE_OUTPUT_* variables.
 */
export async function lastWorkspaceOutputs(db: Db, workspace: string): Promise<Record<string, unknown>> {
  return storeCall('lastWorkspaceOutputs', async () => {
    const row = await db
      .selectFrom('runs')
      .select('outputs')
      .where('workspace', '=', workspace)
      .where('state', '=', 'succeeded')
      .where('action', 'in', ['deploy', 'mode', 'destroy'])
      .where('outputs', 'is not', null)
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.outputs ? (JSON.parse(row.outputs) as Record<string, unknown>) : {};
  });
}
