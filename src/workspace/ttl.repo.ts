/**
 * Running TTLs and the reminders sent before destroys (src/workspace/ttl.ts, reminders.ts). Writes take
 * the caller's transaction: a TTL is set or cleared with the run outcome that decides it, and deleted
 * with the ledger firing that answers it.
 */
import { toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import type { TtlEffect } from './ttl.ts';

export interface WorkspaceTtl {
  readonly workspace: string;
  readonly destroyAt: Date;
  /** The manual deploy whose success set it. */
  readonly runId: string;
  readonly setAt: Date;
}

/** Writes what a finished run does to its workspace's TTL, in the transaction that records the run. */
export async function applyTtlEffect(
  trx: Db,
  run: { readonly id: string; readonly workspace: string },
  effect: TtlEffect,
  now: Date,
): Promise<void> {
  if (effect === null) return;
  if (effect.kind === 'clear') {
    await trx.deleteFrom('workspace_ttl').where('workspace', '=', run.workspace).execute();
    return;
  }
  const values = { destroy_at: toInstant(effect.destroyAt), run_id: run.id, set_at: toInstant(now) };
  await trx
    .insertInto('workspace_ttl')
    .values({ workspace: run.workspace, ...values })
    .onConflict((oc) => oc.column('workspace').doUpdateSet(values))
    .execute();
}

/** The running TTLs, earliest first; only those of `workspaces` when given (one query for a page). */
export async function listTtls(db: Db, workspaces?: readonly string[]): Promise<WorkspaceTtl[]> {
  if (workspaces?.length === 0) return [];
  return storeCall('listTtls', async () => {
    let query = db.selectFrom('workspace_ttl').selectAll().orderBy('destroy_at');
    if (workspaces) query = query.where('workspace', 'in', workspaces);
    const rows = await query.execute();
    return rows.map((row) => ({
      workspace: row.workspace,
      destroyAt: new Date(row.destroy_at),
      runId: row.run_id,
      setAt: new Date(row.set_at),
    }));
  });
}

export async function getTtl(db: Db, workspace: string): Promise<WorkspaceTtl | null> {
  return (await listTtls(db, [workspace]))[0] ?? null;
}

/**
 * Ends a TTL once its firing is in the ledger (same transaction). Only the TTL that was decided on: one a
 * newer deploy set meanwhile stays.
 */
export async function endTtl(trx: Db, workspace: string, destroyAt: Date): Promise<void> {
  await trx
    .deleteFrom('workspace_ttl')
    .where('workspace', '=', workspace)
    .where('destroy_at', '=', toInstant(destroyAt))
    .execute();
}

export interface SentReminder {
  readonly workspace: string;
  readonly destroyAt: Date;
  readonly leadMs: number;
  readonly kind: 'ttl' | 'schedule';
}

/**
 * Records a reminder as sent; false when it already was (another replica, or before a restart). The
 * primary key (workspace, destroy_at, lead) makes each reminder once; ON CONFLICT DO NOTHING keeps the
 * caller's PostgreSQL transaction usable.
 */
export async function recordReminder(trx: Db, reminder: SentReminder, now: Date): Promise<boolean> {
  const inserted = await trx
    .insertInto('reminders_sent')
    .values({
      workspace: reminder.workspace,
      destroy_at: toInstant(reminder.destroyAt),
      lead_seconds: Math.round(reminder.leadMs / 1000),
      kind: reminder.kind,
      sent_at: toInstant(now),
    })
    .onConflict((oc) => oc.columns(['workspace', 'destroy_at', 'lead_seconds']).doNothing())
    .returning('workspace')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The leads already sent for a workspace's destroy at `destroyAt`. */
export async function sentLeads(db: Db, workspace: string, destroyAt: Date): Promise<number[]> {
  return storeCall('sentLeads', async () => {
    const rows = await db
      .selectFrom('reminders_sent')
      .select('lead_seconds')
      .where('workspace', '=', workspace)
      .where('destroy_at', '=', toInstant(destroyAt))
      .execute();
    return rows.map((row) => row.lead_seconds * 1000);
  });
}
