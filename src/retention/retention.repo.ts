/**
 * The deletes of retention (src/retention/retention.ts, decision 028): each function deletes at most
 * `limit` rows of its table (plus the rows that depend on them) in one transaction, and returns how many
 * rows it deleted per table. What may go is decided in SQL, in the same transaction as the delete, so a
 * row that became protected since the last batch is not deleted.
 */
import { sql, type RawBuilder } from 'kysely';
import { inTransaction, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';

/** Rows deleted by one batch, by table (dependent rows included). */
export type Deleted = Record<string, number>;

const ACTIVE = sql`('queued', 'running')`;

/**
 * The run `r` may be deleted: it finished before `cutoff` and nothing relies on it. Kept: active runs;
 * the workspace's `last_run_id`; the newest run and the newest succeeded run per workspace, action and
 * job (what the UI and the scheduler show as "last run"); the newest succeeded run with outputs per
 * workspace and action (outputs read for job context and environments); a run that an active run waits
 * on, or waits on an active run; a run of a job chain, or the source of a chain, with an active run; the
 * run holding a state lock; a run whose retry is active.
 */
function prunableRun(cutoff: string): RawBuilder<boolean> {
  const sameJob = sql`n.workspace = r.workspace and n.action = r.action and coalesce(n.job, '') = coalesce(r.job, '')`;
  return sql<boolean>`r.state not in ${ACTIVE}
    and coalesce(r.finished_at, r.created_at) < ${cutoff}
    and not exists (select 1 from workspace_status ws where ws.last_run_id = r.id)
    and exists (select 1 from runs n where ${sameJob}
      and (n.created_at > r.created_at or (n.created_at = r.created_at and n.id > r.id)))
    and not (r.state = 'succeeded' and not exists (select 1 from runs n where ${sameJob}
      and n.state = 'succeeded'
      and (n.finished_at > r.finished_at or (n.finished_at = r.finished_at and n.id > r.id))))
    and not (r.state = 'succeeded' and r.outputs is not null and not exists (select 1 from runs n
      where n.workspace = r.workspace and n.action = r.action and n.state = 'succeeded'
      and n.outputs is not null
      and (n.finished_at > r.finished_at or (n.finished_at = r.finished_at and n.id > r.id))))
    and not exists (select 1 from run_waits w join runs a on a.id = w.waiter_run_id
      where w.awaited_run_id = r.id and a.state in ${ACTIVE})
    and not exists (select 1 from run_waits w join runs a on a.id = w.awaited_run_id
      where w.waiter_run_id = r.id and a.state in ${ACTIVE})
    and not exists (select 1 from job_chain_runs mine
      join job_chain_runs other on other.chain_id = mine.chain_id join runs a on a.id = other.run_id
      where mine.run_id = r.id and a.state in ${ACTIVE})
    and not exists (select 1 from job_chains c
      join job_chain_runs other on other.chain_id = c.id join runs a on a.id = other.run_id
      where c.source_run_id = r.id and a.state in ${ACTIVE})
    and not exists (select 1 from state_locks l where l.run_id = r.id)
    and not exists (select 1 from runs a where a.retry_of = r.id and a.state in ${ACTIVE})`;
}

/** Log chunks of prunable runs that finished before `cutoff` (the runs themselves stay). */
export async function pruneRunLogBatch(db: Db, cutoff: Date, limit: number): Promise<Deleted> {
  return storeCall('pruneRunLogBatch', () =>
    inTransaction(db, async (trx) => {
      const { rows } = await sql<{ run_id: string; seq: number }>`select c.run_id, c.seq
        from run_log_chunks c join runs r on r.id = c.run_id
        where ${prunableRun(toInstant(cutoff))}
        limit ${limit}`.execute(trx);
      if (rows.length === 0) return { run_log_chunks: 0 };
      const byRun = new Map<string, number[]>();
      for (const row of rows) byRun.set(row.run_id, [...(byRun.get(row.run_id) ?? []), Number(row.seq)]);
      const result = await trx
        .deleteFrom('run_log_chunks')
        .where((eb) =>
          eb.or([...byRun].map(([runId, seqs]) => eb.and([eb('run_id', '=', runId), eb('seq', 'in', seqs)]))),
        )
        .executeTakeFirst();
      return { run_log_chunks: Number(result.numDeletedRows) };
    }),
  );
}

/** Prunable runs that finished before `cutoff`, with their log chunks, waits and job chain rows. */
export async function pruneRunBatch(db: Db, cutoff: Date, limit: number): Promise<Deleted> {
  return storeCall('pruneRunBatch', () =>
    inTransaction(db, async (trx) => {
      const { rows } = await sql<{ id: string }>`select r.id from runs r
        where ${prunableRun(toInstant(cutoff))}
        order by r.created_at, r.id
        limit ${limit}`.execute(trx);
      const ids = rows.map((row) => row.id);
      if (ids.length === 0) return { runs: 0 };
      const deleted: Deleted = {};
      const count = (table: string, result: { numDeletedRows: bigint }) => {
        deleted[table] = Number(result.numDeletedRows);
      };
      // Children first, counted: most would cascade, but job_chain_runs.run_id has no foreign key.
      count(
        'run_log_chunks',
        await trx.deleteFrom('run_log_chunks').where('run_id', 'in', ids).executeTakeFirst(),
      );
      count(
        'run_waits',
        await trx
          .deleteFrom('run_waits')
          .where((eb) => eb.or([eb('waiter_run_id', 'in', ids), eb('awaited_run_id', 'in', ids)]))
          .executeTakeFirst(),
      );
      count(
        'job_chain_runs',
        await trx.deleteFrom('job_chain_runs').where('run_id', 'in', ids).executeTakeFirst(),
      );
      count('runs', await trx.deleteFrom('runs').where('id', 'in', ids).executeTakeFirst());
      return deleted;
    }),
  );
}

/** Job chains created before `cutoff` with no run left in them. */
export async function pruneJobChainBatch(db: Db, cutoff: Date, limit: number): Promise<Deleted> {
  return storeCall('pruneJobChainBatch', () =>
    inTransaction(db, async (trx) => {
      const { rows } = await sql<{ id: string }>`select c.id from job_chains c
        where c.created_at < ${toInstant(cutoff)}
        and not exists (select 1 from job_chain_runs jr where jr.chain_id = c.id)
        limit ${limit}`.execute(trx);
      if (rows.length === 0) return { job_chains: 0 };
      const result = await trx
        .deleteFrom('job_chains')
        .where(
          'id',
          'in',
          rows.map((row) => row.id),
        )
        .executeTakeFirst();
      return { job_chains: Number(result.numDeletedRows) };
    }),
  );
}

/**
 * Firings recorded before `cutoff`, except the newest per workspace and schedule (the scheduler's
 * `latestFiring`) and those a remaining run points at (`runs.firing_id`).
 */
export async function pruneFiringBatch(db: Db, cutoff: Date, limit: number): Promise<Deleted> {
  return storeCall('pruneFiringBatch', () =>
    inTransaction(db, async (trx) => {
      const { rows } = await sql<{ id: number }>`select f.id from firings f
        where f.recorded_at < ${toInstant(cutoff)}
        and exists (select 1 from firings n where n.workspace = f.workspace
          and n.schedule_key = f.schedule_key
          and (n.scheduled_at > f.scheduled_at or (n.scheduled_at = f.scheduled_at and n.id > f.id)))
        and not exists (select 1 from runs r where r.firing_id = f.id)
        order by f.id
        limit ${limit}`.execute(trx);
      if (rows.length === 0) return { firings: 0 };
      const result = await trx
        .deleteFrom('firings')
        .where(
          'id',
          'in',
          rows.map((row) => Number(row.id)),
        )
        .executeTakeFirst();
      return { firings: Number(result.numDeletedRows) };
    }),
  );
}

/** Reminders for destroys before `cutoff` (src/workspace/reminder-loop.ts): past destroys are never reminded again. */
export async function pruneReminderBatch(db: Db, cutoff: Date, limit: number): Promise<Deleted> {
  return storeCall('pruneReminderBatch', () =>
    inTransaction(db, async (trx) => {
      const rows = await trx
        .selectFrom('reminders_sent')
        .select(['workspace', 'destroy_at', 'lead_seconds'])
        .where('destroy_at', '<', toInstant(cutoff))
        .orderBy('destroy_at')
        .limit(limit)
        .execute();
      let deleted = 0;
      for (const row of rows) {
        const result = await trx
          .deleteFrom('reminders_sent')
          .where('workspace', '=', row.workspace)
          .where('destroy_at', '=', row.destroy_at)
          .where('lead_seconds', '=', row.lead_seconds)
          .executeTakeFirst();
        deleted += Number(result.numDeletedRows);
      }
      return { reminders_sent: deleted };
    }),
  );
}

/**
 * Overrides (src/workspace/override.ts) that ended before `cutoff`: expired, removed or used up then. They
 * explain skipped firings, so they are kept as long as firings are.
 */
export async function pruneOverrideBatch(db: Db, cutoff: Date, limit: number): Promise<Deleted> {
  return storeCall('pruneOverrideBatch', () =>
    inTransaction(db, async (trx) => {
      const at = toInstant(cutoff);
      const rows = await trx
        .selectFrom('overrides')
        .select('id')
        .where((eb) => eb.or([eb('ends_at', '<', at), eb('removed_at', '<', at), eb('consumed_at', '<', at)]))
        .orderBy('id')
        .limit(limit)
        .execute();
      if (rows.length === 0) return { overrides: 0 };
      const result = await trx
        .deleteFrom('overrides')
        .where(
          'id',
          'in',
          rows.map((row) => row.id),
        )
        .executeTakeFirst();
      return { overrides: Number(result.numDeletedRows) };
    }),
  );
}

/**
 * Login sessions that ended before `cutoff`: revoked then, or with every refresh token expired by then.
 * Their refresh tokens go with them.
 */
export async function pruneSessionBatch(db: Db, cutoff: Date, limit: number): Promise<Deleted> {
  return storeCall('pruneSessionBatch', () =>
    inTransaction(db, async (trx): Promise<Deleted> => {
      const at = toInstant(cutoff);
      const { rows } = await sql<{ id: string }>`select f.id from refresh_token_families f
        where (f.revoked_at is not null and f.revoked_at < ${at})
        or (f.created_at < ${at}
          and not exists (select 1 from refresh_tokens t where t.family_id = f.id and t.expires_at >= ${at}))
        limit ${limit}`.execute(trx);
      const ids = rows.map((row) => row.id);
      if (ids.length === 0) return { refresh_token_families: 0 };
      const tokens = await trx.deleteFrom('refresh_tokens').where('family_id', 'in', ids).executeTakeFirst();
      const families = await trx
        .deleteFrom('refresh_token_families')
        .where('id', 'in', ids)
        .executeTakeFirst();
      return {
        refresh_tokens: Number(tokens.numDeletedRows),
        refresh_token_families: Number(families.numDeletedRows),
      };
    }),
  );
}

/**
 * Login-failure rows that count for nothing any more: their window began before `staleBefore` (so the
 * next check starts it over, forgetting failures and unsettled checks) and their lock, if any, ended
 * before `now`. Deleting such a row changes no lockout decision.
 */
export async function pruneLoginFailureBatch(
  db: Db,
  staleBefore: Date,
  now: Date,
  limit: number,
): Promise<Deleted> {
  return storeCall('pruneLoginFailureBatch', () =>
    inTransaction(db, async (trx) => {
      const { rows } = await sql<{ key: string }>`select l.key from login_failures l
        where l.window_started_at < ${toInstant(staleBefore)}
        and (l.locked_until is null or l.locked_until <= ${toInstant(now)})
        limit ${limit}`.execute(trx);
      if (rows.length === 0) return { login_failures: 0 };
      const result = await trx
        .deleteFrom('login_failures')
        .where(
          'key',
          'in',
          rows.map((row) => row.key),
        )
        .executeTakeFirst();
      return { login_failures: Number(result.numDeletedRows) };
    }),
  );
}

/**
 * State versions beyond the newest `keep` of their key, except those of the key's current serial (the
 * newest version's) and every version of a locked key (an engine is writing it).
 */
export async function pruneStateVersionBatch(db: Db, keep: number, limit: number): Promise<Deleted> {
  return storeCall('pruneStateVersionBatch', () =>
    inTransaction(db, async (trx) => {
      const { rows } = await sql<{ id: number }>`select v.id from state_versions v
        where not exists (select 1 from state_locks l where l.state_key = v.state_key)
        and v.serial <> (select c.serial from state_versions c where c.state_key = v.state_key
          order by c.id desc limit 1)
        and (select count(*) from state_versions n where n.state_key = v.state_key and n.id > v.id) >= ${keep}
        order by v.id
        limit ${limit}`.execute(trx);
      if (rows.length === 0) return { state_versions: 0 };
      const result = await trx
        .deleteFrom('state_versions')
        .where(
          'id',
          'in',
          rows.map((row) => Number(row.id)),
        )
        .executeTakeFirst();
      return { state_versions: Number(result.numDeletedRows) };
    }),
  );
}

/**
 * Notifications finished (delivered or given up) before `cutoff` (`notification_outbox`), or delivery-log
 * entries written before it (`notification_deliveries`). Pending rows stay whatever their age: they are
 * still to be delivered.
 */
export async function pruneNotificationBatch(
  db: Db,
  table: 'notification_outbox' | 'notification_deliveries',
  cutoff: Date,
  limit: number,
): Promise<Deleted> {
  return storeCall('pruneNotificationBatch', () =>
    inTransaction(db, async (trx) => {
      const before = toInstant(cutoff);
      const ids =
        table === 'notification_outbox'
          ? await trx
              .selectFrom('notification_outbox')
              .select('id')
              .where('state', '!=', 'pending')
              .where('updated_at', '<', before)
              .limit(limit)
              .execute()
          : await trx
              .selectFrom('notification_deliveries')
              .select('id')
              .where('created_at', '<', before)
              .limit(limit)
              .execute();
      if (ids.length === 0) return { [table]: 0 };
      const result = await trx
        .deleteFrom(table)
        .where(
          'id',
          'in',
          ids.map((row) => row.id),
        )
        .executeTakeFirst();
      return { [table]: Number(result.numDeletedRows) };
    }),
  );
}
