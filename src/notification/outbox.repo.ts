/**
 * The notification outbox and delivery log (decision 032). Rows are written in the caller's transaction;
 * claims are leases, so each row is delivered by one dispatcher at a time across replicas: on PostgreSQL
 * the due rows are locked with FOR UPDATE SKIP LOCKED (concurrent claimers take different rows without
 * waiting), on SQLite a conditional update is the claim (one process writes at a time there anyway).
 */
import { randomUUID } from 'node:crypto';
import { dialectOf, inTransaction, instantAfter, toInstant } from '../store/dialect.ts';
import { decodeCursor, toPage, type Page } from '../store/page.ts';
import type { Insertable } from 'kysely';
import type { Db, NotificationDeliveriesTable, NotificationOutboxState } from '../store/schema.ts';

export interface OutboxEntry {
  readonly dedupeKey: string;
  readonly eventType: string;
  readonly workspace: string | null;
  readonly target: string;
  readonly targetType: string;
  /** JSON of the resolved target (secret names only). */
  readonly destination: string;
  /** JSON of the event. */
  readonly payload: string;
}

export interface OutboxRow extends OutboxEntry {
  readonly id: string;
  readonly attempts: number;
}

/** Inserts each entry unless one with its dedupe key exists. Returns how many were new. */
export async function enqueue(db: Db, entries: readonly OutboxEntry[], now: Date): Promise<number> {
  let added = 0;
  const at = toInstant(now);
  for (const entry of entries) {
    const result = await db
      .insertInto('notification_outbox')
      .values({
        id: randomUUID(),
        dedupe_key: entry.dedupeKey,
        event_type: entry.eventType,
        workspace: entry.workspace,
        target: entry.target,
        target_type: entry.targetType,
        destination: entry.destination,
        payload: entry.payload,
        state: 'pending',
        next_attempt_at: at,
        created_at: at,
        updated_at: at,
      })
      .onConflict((conflict) => conflict.column('dedupe_key').doNothing())
      .executeTakeFirst();
    added += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return added;
}

/** Claims up to `limit` due rows for `holder` until `now + leaseMs`. */
export async function claimDue(
  db: Db,
  holder: string,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<OutboxRow[]> {
  const at = toInstant(now);
  const lease = instantAfter(now, leaseMs);
  return inTransaction(db, async (trx) => {
    const candidates = await trx
      .selectFrom('notification_outbox')
      .select('id')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
      .orderBy('next_attempt_at')
      .limit(limit)
      .$if(dialectOf(trx) === 'postgres', (qb) => qb.forUpdate().skipLocked())
      .execute();
    const claimed: OutboxRow[] = [];
    for (const { id } of candidates) {
      const row = await trx
        .updateTable('notification_outbox')
        .set({ lease_until: lease, claimed_by: holder, updated_at: at })
        .where('id', '=', id)
        .where('state', '=', 'pending')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
        .returningAll()
        .executeTakeFirst();
      if (row)
        claimed.push({
          id: row.id,
          dedupeKey: row.dedupe_key,
          eventType: row.event_type,
          workspace: row.workspace,
          target: row.target,
          targetType: row.target_type,
          destination: row.destination,
          payload: row.payload,
          attempts: row.attempts,
        });
    }
    return claimed;
  });
}

export interface AttemptRecord {
  readonly outcome: 'delivered' | 'retry' | 'failed';
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  /** For `retry`: when to try again. */
  readonly nextAttemptAt?: Date;
}

/**
 * Records one attempt and moves the row on, fenced by the claim: a dispatcher whose lease passed (and
 * whose row another one claimed) writes nothing and gets false.
 */
export async function recordAttempt(
  db: Db,
  row: OutboxRow,
  holder: string,
  attempt: AttemptRecord,
  now: Date,
): Promise<boolean> {
  const at = toInstant(now);
  const state: NotificationOutboxState = attempt.outcome === 'retry' ? 'pending' : attempt.outcome;
  return inTransaction(db, async (trx) => {
    const updated = await trx
      .updateTable('notification_outbox')
      .set({
        state,
        attempts: row.attempts + 1,
        next_attempt_at: toInstant(attempt.nextAttemptAt ?? now),
        lease_until: null,
        claimed_by: null,
        last_error: attempt.error,
        updated_at: at,
      })
      .where('id', '=', row.id)
      .where('claimed_by', '=', holder)
      .where('attempts', '=', row.attempts)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) return false;
    await insertDelivery(trx, {
      outbox_id: row.id,
      event_type: row.eventType,
      workspace: row.workspace,
      target: row.target,
      target_type: row.targetType,
      attempt: row.attempts + 1,
      outcome: attempt.outcome,
      status_code: attempt.statusCode,
      error: attempt.error,
      duration_ms: Math.round(attempt.durationMs),
      created_at: at,
    });
    return true;
  });
}

/** One line of the delivery log. */
export async function insertDelivery(
  db: Db,
  row: Omit<Insertable<NotificationDeliveriesTable>, 'id'> & { id?: string },
): Promise<void> {
  await db
    .insertInto('notification_deliveries')
    .values({ ...row, id: row.id ?? randomUUID() })
    .execute();
}

export interface DeliveryView {
  readonly id: string;
  readonly outbox_id: string;
  readonly event: string;
  readonly workspace: string | null;
  readonly target: string;
  readonly target_type: string;
  readonly attempt: number;
  readonly outcome: string;
  readonly status_code: number | null;
  readonly error: string | null;
  readonly duration_ms: number;
  readonly created_at: string;
}

export interface DeliveryFilter {
  /** Only these workspaces (a caller's scope); undefined = all, cluster events included. */
  readonly workspaces?: (name: string) => boolean;
  readonly workspace?: string;
  readonly event?: string;
  readonly outcome?: string;
  readonly cursor?: string;
  readonly limit: number;
}

/** Newest first, keyset-paged on (created_at, id). */
export async function listDeliveries(db: Db, filter: DeliveryFilter): Promise<Page<DeliveryView>> {
  const rows: DeliveryView[] = [];
  let cursor = filter.cursor ? decodeCursor(filter.cursor, 'string') : undefined;
  // Scope filtering happens after the query (patterns, not SQL): read on until the page is full.
  for (;;) {
    const batch = await db
      .selectFrom('notification_deliveries')
      .selectAll()
      .$if(filter.workspace !== undefined, (qb) => qb.where('workspace', '=', filter.workspace!))
      .$if(filter.event !== undefined, (qb) => qb.where('event_type', '=', filter.event!))
      .$if(filter.outcome !== undefined, (qb) => qb.where('outcome', '=', filter.outcome!))
      .$if(cursor !== undefined, (qb) =>
        qb.where((eb) =>
          eb.or([
            eb('created_at', '<', cursor![0]),
            eb.and([eb('created_at', '=', cursor![0]), eb('id', '<', cursor![1])]),
          ]),
        ),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit + 1)
      .execute();
    for (const row of batch.slice(0, filter.limit + 1)) {
      if (filter.workspaces && (row.workspace === null || !filter.workspaces(row.workspace))) continue;
      rows.push({
        id: row.id,
        outbox_id: row.outbox_id,
        event: row.event_type,
        workspace: row.workspace,
        target: row.target,
        target_type: row.target_type,
        attempt: row.attempt,
        outcome: row.outcome,
        status_code: row.status_code,
        error: row.error,
        duration_ms: row.duration_ms,
        created_at: toInstant(row.created_at),
      });
    }
    const last = batch.at(-1);
    if (rows.length > filter.limit || batch.length <= filter.limit || !last) break;
    cursor = [toInstant(last.created_at), last.id];
  }
  return toPage(rows, filter.limit, (item) => [item.created_at, item.id]);
}

/** Rows waiting for delivery (the queue depth gauge). */
export async function pendingCount(db: Db): Promise<number> {
  const row = await db
    .selectFrom('notification_outbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The outcome of the outbox row with this dedupe key (the test endpoint waits on it). */
export async function findByDedupeKey(db: Db, dedupeKey: string) {
  return db
    .selectFrom('notification_outbox')
    .selectAll()
    .where('dedupe_key', '=', dedupeKey)
    .executeTakeFirst();
}
