import { toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import { toRun } from './run.repo.ts';
import type { Run } from './run.ts';

/**
 * Marks a running run as asked to cancel. The runner holding its lease learns it at once through the
 * event hub, on whichever replica it runs (the event relay carries the run update), or, if that event was
 * lost, at its next heartbeat; it then stops the process: SIGINT, then SIGKILL after the grace period.
 * Returns null if the run is not running.
 */
export async function requestCancel(db: Db, id: string, now: Date): Promise<Run | null> {
  return storeCall('requestCancel', async () => {
    const row = await db
      .updateTable('runs')
      .set({ cancel_requested_at: toInstant(now) })
      .where('id', '=', id)
      .where('state', '=', 'running')
      .where('cancel_requested_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row ? toRun(row) : null;
  });
}
