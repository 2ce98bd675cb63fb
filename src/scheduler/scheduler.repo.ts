import { toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import { toRun } from '../run/run.repo.ts';
import type { Run } from '../run/run.ts';

/** The oldest queued-or-running run of a lock key: the one a new firing would wait for. */
export async function activeRunFor(db: Db, lockKey: string): Promise<Run | null> {
  return storeCall('activeRunFor', async () => {
    const row = await db
      .selectFrom('runs')
      .selectAll()
      .where('lock_key', '=', lockKey)
      .where('state', 'in', ['queued', 'running'])
      .orderBy('created_at')
      .limit(1)
      .executeTakeFirst();
    return row ? toRun(row) : null;
  });
}

export async function readCheckpoints(db: Db): Promise<Map<string, Date>> {
  return storeCall('readCheckpoints', async () => {
    const rows = await db.selectFrom('scheduler_checkpoints').selectAll().execute();
    return new Map(rows.map((row) => [row.workspace, new Date(row.evaluated_until)]));
  });
}

/** Moves a checkpoint forward only: a clock that goes backwards never re-opens evaluated time. */
export async function advanceCheckpoint(db: Db, scope: string, until: Date): Promise<void> {
  await storeCall('advanceCheckpoint', async () => {
    const value = toInstant(until);
    await db
      .insertInto('scheduler_checkpoints')
      .values({ workspace: scope, evaluated_until: value })
      .onConflict((oc) =>
        oc
          .column('workspace')
          .doUpdateSet({ evaluated_until: value })
          .where('scheduler_checkpoints.evaluated_until', '<', value),
      )
      .execute();
  });
}

/**
 * advanceCheckpoint for many scopes in one statement: a pass over thousands of units with nothing due
 * must not cost one write each.
 */
export async function advanceCheckpoints(db: Db, scopes: readonly string[], until: Date): Promise<void> {
  if (scopes.length === 0) return;
  await storeCall('advanceCheckpoints', async () => {
    const value = toInstant(until);
    await db
      .insertInto('scheduler_checkpoints')
      .values(scopes.map((scope) => ({ workspace: scope, evaluated_until: value })))
      .onConflict((oc) =>
        oc
          .column('workspace')
          .doUpdateSet({ evaluated_until: value })
          .where('scheduler_checkpoints.evaluated_until', '<', value),
      )
      .execute();
  });
}

/** Failed runs finished since `since` that have no retry yet: the retry sweep's candidates. */
export async function failedRunsWithoutRetry(db: Db, since: Date): Promise<Run[]> {
  return storeCall('failedRunsWithoutRetry', async () => {
    const rows = await db
      .selectFrom('runs as r')
      .selectAll('r')
      .where('r.state', '=', 'failed')
      .where('r.finished_at', '>=', toInstant(since))
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('runs as retry').select('retry.id').whereRef('retry.retry_of', '=', 'r.id'))),
      )
      .orderBy('r.finished_at')
      .execute();
    return rows.map(toRun);
  });
}

/** The latest deploy or destroy in a workspace's ledger at or before `at`, whatever its outcome. */
export async function latestStateFiring(
  db: Db,
  workspace: string,
  at: Date,
): Promise<{ action: string; mode: string | null; reason: string | null } | null> {
  return storeCall('latestStateFiring', async () => {
    const row = await db
      .selectFrom('firings')
      .select(['action', 'mode', 'reason'])
      .where('workspace', '=', workspace)
      .where('action', 'in', ['deploy', 'destroy'])
      .where('scheduled_at', '<=', toInstant(at))
      .orderBy('scheduled_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  });
}
