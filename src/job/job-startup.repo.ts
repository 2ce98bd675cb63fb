/**
 * The `@startup` marker (docs/jobs.md): one row, heartbeated by the replica that holds the startup
 * trigger (a cluster singleton). A replica that takes the trigger over from a live holder (failover,
 * rolling restart) finds a fresh heartbeat and fires nothing; one that finds the marker stale, or none, is
 * starting the cluster and fires `@startup`, in the transaction that takes the marker.
 */
import { randomUUID } from 'node:crypto';
import { inTransaction, instantAfter, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import { insertChain, type ChainPlan } from '../run/job-chain.repo.ts';
import type { Run } from '../run/run.ts';

export const STARTUP_MARKER = 'startup';

/**
 * Takes the marker for `holder`. When its heartbeat is older than `staleMs` (or there is none) the
 * cluster is starting: the chains `plans()` returns are queued in the same transaction, and returned.
 */
export async function takeStartupMarker(
  db: Db,
  holder: string,
  now: Date,
  /** Null: never fire (the marker is only taken). */
  staleMs: number | null,
  plans: () => readonly ChainPlan[],
): Promise<{ fired: boolean; runs: Run[] }> {
  return storeCall('takeStartupMarker', () =>
    inTransaction(db, async (trx) => {
      const marker = await trx
        .selectFrom('job_startup_marker')
        .select('fired_at')
        .where('name', '=', STARTUP_MARKER)
        .executeTakeFirst();
      const live =
        staleMs === null
          ? undefined
          : await trx
              .selectFrom('job_startup_marker')
              .select('name')
              .where('name', '=', STARTUP_MARKER)
              .where('heartbeat_at', '>', instantAfter(now, -staleMs))
              .executeTakeFirst();
      const fresh = staleMs === null || live !== undefined;
      const runs: Run[] = [];
      if (!fresh) {
        for (const plan of plans()) {
          runs.push(...(await insertChain(trx, plan, { chainId: randomUUID(), runId: randomUUID }, now)));
        }
      }
      const firedAt = fresh ? (marker?.fired_at ?? null) : toInstant(now);
      await trx
        .insertInto('job_startup_marker')
        .values({ name: STARTUP_MARKER, holder, heartbeat_at: toInstant(now), fired_at: firedAt })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet({ holder, heartbeat_at: toInstant(now), fired_at: firedAt }),
        )
        .execute();
      return { fired: !fresh, runs };
    }),
  );
}

/** Keeps the marker fresh while this replica holds the trigger. */
export async function heartbeatStartupMarker(db: Db, holder: string, now: Date): Promise<void> {
  await storeCall('heartbeatStartupMarker', () =>
    db
      .updateTable('job_startup_marker')
      .set({ heartbeat_at: toInstant(now) })
      .where('name', '=', STARTUP_MARKER)
      .where('holder', '=', holder)
      .execute(),
  );
}
