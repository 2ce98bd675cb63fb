/**
 * `state_versions` and `state_locks` rows, and the one read of `runs` the backend needs: a run's claim,
 * locked, so a state write and the reaper's orphaning of its run happen one after the other, never both.
 * Sealed content only: encryption happens in the caller, before any write.
 */
import { sql } from 'kysely';
import { dialectOf } from '../store/dialect.ts';
import type { Db, Instant, StateLocksTable, StateVersionsTable } from '../store/schema.ts';
import type { Selectable } from 'kysely';

export type StateVersionRow = Selectable<StateVersionsTable>;
export type NewStateVersion = Omit<StateVersionRow, 'id' | 'deleted'> & { deleted?: 0 | 1 };
export type StateVersionSummary = Omit<StateVersionRow, 'ciphertext' | 'iv' | 'tag'>;
export type StateLockRow = Selectable<StateLocksTable>;

/** What the backend checks of a run: whether its claim is still the one the credential was issued for. */
export interface RunClaimRow {
  readonly id: string;
  readonly workspace: string;
  readonly job: string | null;
  readonly action: string;
  readonly state: string;
  readonly lease_owner: string | null;
  readonly lease_expires_at: Instant | null;
  readonly fencing_token: number;
}

const SUMMARY_COLUMNS = [
  'id',
  'state_key',
  'serial',
  'lineage',
  'checksum',
  'size',
  'deleted',
  'run_id',
  'written_by',
  'created_at',
  'key_id',
] as const;

/**
 * Serialises the writers of one state key — runs, rollbacks, imports of local files — until the
 * transaction ends: on PostgreSQL a transaction-scoped advisory lock on the key; on SQLite the immediate
 * transaction already is one.
 */
export async function lockStateKey(trx: Db, key: string): Promise<void> {
  if (dialectOf(trx) === 'postgres')
    await sql`select pg_advisory_xact_lock(hashtext(${`tide-state:${key}`}))`.execute(trx);
}

export async function insertStateVersion(db: Db, row: NewStateVersion): Promise<number> {
  const { id } = await db
    .insertInto('state_versions')
    .values({ ...row, deleted: row.deleted ?? 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(id);
}

export async function latestStateVersion(db: Db, key: string): Promise<StateVersionRow | null> {
  const row = await db
    .selectFrom('state_versions')
    .selectAll()
    .where('state_key', '=', key)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

/** The newest version with this serial (a serial can repeat across lineages). */
export async function stateVersionBySerial(
  db: Db,
  key: string,
  serial: number,
): Promise<StateVersionRow | null> {
  const row = await db
    .selectFrom('state_versions')
    .selectAll()
    .where('state_key', '=', key)
    .where('serial', '=', serial)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

/** Newest first, without content; `beforeId` pages on. */
export async function listStateVersions(
  db: Db,
  key: string,
  page: { limit: number; beforeId?: number | undefined },
): Promise<StateVersionSummary[]> {
  return db
    .selectFrom('state_versions')
    .select(SUMMARY_COLUMNS)
    .where('state_key', '=', key)
    .$if(page.beforeId !== undefined, (qb) => qb.where('id', '<', page.beforeId ?? 0))
    .orderBy('id', 'desc')
    .limit(page.limit)
    .execute();
}

/** Keeps the newest `keep` versions of a key; returns how many were deleted. */
export async function pruneStateVersions(db: Db, key: string, keep: number): Promise<number> {
  const cutoff = await db
    .selectFrom('state_versions')
    .select('id')
    .where('state_key', '=', key)
    .orderBy('id', 'desc')
    .offset(keep)
    .limit(1)
    .executeTakeFirst();
  if (!cutoff) return 0;
  const result = await db
    .deleteFrom('state_versions')
    .where('state_key', '=', key)
    .where('id', '<=', cutoff.id)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countStateVersions(db: Db, key: string): Promise<number> {
  const { count } = await db
    .selectFrom('state_versions')
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .where('state_key', '=', key)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** Rows sealed with a key other than `keyId`, oldest first, a batch at a time. */
export async function stateRowsNotUnderKey(db: Db, keyId: string, limit: number): Promise<StateVersionRow[]> {
  return db
    .selectFrom('state_versions')
    .selectAll()
    .where('key_id', '!=', keyId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function replaceStateSealed(
  db: Db,
  id: number,
  sealed: Pick<StateVersionRow, 'ciphertext' | 'iv' | 'tag' | 'key_id'>,
): Promise<void> {
  await db.updateTable('state_versions').set(sealed).where('id', '=', id).execute();
}

export async function getStateLock(db: Db, key: string): Promise<StateLockRow | null> {
  const row = await db.selectFrom('state_locks').selectAll().where('state_key', '=', key).executeTakeFirst();
  return row ?? null;
}

export async function putStateLock(db: Db, row: StateLockRow): Promise<void> {
  const { lock_id, run_id, info, created_at } = row;
  await db
    .insertInto('state_locks')
    .values(row)
    .onConflict((conflict) => conflict.column('state_key').doUpdateSet({ lock_id, run_id, info, created_at }))
    .execute();
}

export async function deleteStateLock(db: Db, key: string): Promise<void> {
  await db.deleteFrom('state_locks').where('state_key', '=', key).execute();
}

/** The run's claim, row-locked on PostgreSQL (on SQLite the immediate transaction already is the lock). */
export async function lockRunClaim(trx: Db, runId: string): Promise<RunClaimRow | null> {
  const row = await trx
    .selectFrom('runs')
    .select(['id', 'workspace', 'job', 'action', 'state', 'lease_owner', 'lease_expires_at', 'fencing_token'])
    .where('id', '=', runId)
    .$if(dialectOf(trx) === 'postgres', (qb) => qb.forUpdate())
    .executeTakeFirst();
  return row ?? null;
}

/** Runs by id, for whether a lock's holder is still live. */
export async function runClaim(db: Db, runId: string): Promise<RunClaimRow | null> {
  const row = await db
    .selectFrom('runs')
    .select(['id', 'workspace', 'job', 'action', 'state', 'lease_owner', 'lease_expires_at', 'fencing_token'])
    .where('id', '=', runId)
    .executeTakeFirst();
  return row ?? null;
}
