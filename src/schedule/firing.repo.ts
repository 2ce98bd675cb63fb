import type { Selectable } from 'kysely';
import { TideError } from '../errors/tide-error.ts';
import { toInstant } from '../store/dialect.ts';
import { FIRINGS_OCCURRENCE_UNIQUE } from '../store/constraints.ts';
import { decodeCursor, pageSize, toPage, type Page } from '../store/page.ts';
import type { Db, FiringOutcome, FiringsTable } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';

/** One scheduled occurrence in the ledger (SPEC §2). */
export type Firing = Selectable<FiringsTable>;

export interface NewFiring {
  /** The workspace name, or `_standalone_` for standalone jobs. */
  workspace: string;
  /** Which schedule fired, e.g. `deploy_schedule[0]`, `uptime`, `jobs.backup`. */
  schedule_key: string;
  action: string;
  mode?: string | null;
  scheduled_at: Date | string;
  outcome: FiringOutcome;
  reason?: string | null;
  run_id?: string | null;
  recorded_at: Date;
}

/**
 * Records a firing. The unique key (workspace, schedule_key, scheduled_at) is what makes scheduling
 * idempotent across replicas and restarts: the second writer gets `firing_exists` and must not start a
 * run. ON CONFLICT DO NOTHING (rather than catching the violation) keeps a caller's PostgreSQL
 * transaction usable after a duplicate.
 */
export async function recordFiring(db: Db, firing: NewFiring): Promise<Firing> {
  const row = {
    workspace: firing.workspace,
    schedule_key: firing.schedule_key,
    action: firing.action,
    mode: firing.mode ?? null,
    scheduled_at: toInstant(firing.scheduled_at),
    outcome: firing.outcome,
    reason: firing.reason ?? null,
    run_id: firing.run_id ?? null,
    recorded_at: toInstant(firing.recorded_at),
  };
  return storeCall('recordFiring', async () => {
    const inserted = await db
      .insertInto('firings')
      .values(row)
      .onConflict((conflict) => conflict.columns(['workspace', 'schedule_key', 'scheduled_at']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (inserted) return inserted;
    const existing = await db
      .selectFrom('firings')
      .select(['id', 'outcome', 'run_id'])
      .where('workspace', '=', row.workspace)
      .where('schedule_key', '=', row.schedule_key)
      .where('scheduled_at', '=', row.scheduled_at)
      .executeTakeFirst();
    throw new TideError(
      'firing_exists',
      `${row.schedule_key} of ${row.workspace} at ${row.scheduled_at} is already in the ledger`,
      {
        details: {
          constraint: FIRINGS_OCCURRENCE_UNIQUE,
          workspace: row.workspace,
          schedule_key: row.schedule_key,
          scheduled_at: row.scheduled_at,
          existing: existing ?? null,
        },
      },
    );
  });
}

/** Links a firing to the run it started. */
export async function attachRun(db: Db, firingId: number, runId: string): Promise<void> {
  await storeCall('attachRun', async () => {
    const result = await db
      .updateTable('firings')
      .set({ run_id: runId })
      .where('id', '=', firingId)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      throw new TideError('not_found', `firing ${firingId} does not exist`, {
        details: { firing_id: firingId },
      });
    }
  });
}

export interface ListFiringsQuery {
  workspace: string;
  /** Default 50, at most 500. */
  limit?: number;
  cursor?: string | null;
}

/** A workspace's ledger, newest scheduled time first. */
export async function listFirings(db: Db, query: ListFiringsQuery): Promise<Page<Firing>> {
  const limit = pageSize(query.limit);
  const after = query.cursor ? decodeCursor(query.cursor, 'number') : null;
  return storeCall('listFirings', async () => {
    const rows = await db
      .selectFrom('firings')
      .selectAll()
      .where('workspace', '=', query.workspace)
      .$if(after !== null, (qb) =>
        qb.where((eb) => {
          const [scheduledAt, id] = after ?? ['', 0];
          return eb.or([
            eb('scheduled_at', '<', scheduledAt),
            eb.and([eb('scheduled_at', '=', scheduledAt), eb('id', '<', id)]),
          ]);
        }),
      )
      .orderBy('scheduled_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return toPage(rows, limit, (firing) => [firing.scheduled_at, firing.id]);
  });
}

/** The most recent occurrence of one schedule, or null if it never fired. Catch-up starts from here. */
export async function latestFiring(db: Db, workspace: string, scheduleKey: string): Promise<Firing | null> {
  return storeCall('latestFiring', async () => {
    const row = await db
      .selectFrom('firings')
      .selectAll()
      .where('workspace', '=', workspace)
      .where('schedule_key', '=', scheduleKey)
      .orderBy('scheduled_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ?? null;
  });
}
