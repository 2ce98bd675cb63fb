/**
 * The few reads metrics need. A scrape costs two cheap queries (queued runs use the claim index; the
 * status table has one short row per workspace), so a 15 s scrape interval is no load on the store.
 */
import type { Db, WorkspaceObservedStatus } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';

/** Runs waiting to be claimed, on every replica (delayed ones included: they are queued too). */
export async function countQueuedRuns(db: Db): Promise<number> {
  return storeCall('countQueuedRuns', async () => {
    const row = await db
      .selectFrom('runs')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('state', '=', 'queued')
      .executeTakeFirstOrThrow();
    // PostgreSQL returns count(*) as a bigint string, SQLite as a number.
    return Number(row.count);
  });
}

/** The observed status of every workspace Tide has acted on, by name. */
export async function observedStatuses(db: Db): Promise<Map<string, WorkspaceObservedStatus>> {
  return storeCall('observedStatuses', async () => {
    const rows = await db.selectFrom('workspace_status').select(['workspace', 'status']).execute();
    return new Map(rows.map((row) => [row.workspace, row.status]));
  });
}

/** When a firing was due, or null if the ledger has no such firing. */
export async function firingScheduledAt(db: Db, firingId: number): Promise<string | null> {
  return storeCall('firingScheduledAt', async () => {
    const row = await db
      .selectFrom('firings')
      .select('scheduled_at')
      .where('id', '=', firingId)
      .executeTakeFirst();
    return row?.scheduled_at ?? null;
  });
}

/** The drifted flag of every workspace Tide has acted on, by name. */
export async function driftedFlags(db: Db): Promise<Map<string, boolean>> {
  return storeCall('driftedFlags', async () => {
    const rows = await db.selectFrom('workspace_status').select(['workspace', 'drifted']).execute();
    return new Map(rows.map((row) => [row.workspace, row.drifted === 1]));
  });
}
