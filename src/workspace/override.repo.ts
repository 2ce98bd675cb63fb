/** The overrides' rows (migration 0015). Instants are stored as in every table (src/store/dialect.ts). */
import type { Selectable } from 'kysely';
import { toInstant } from '../store/dialect.ts';
import type { Db, OverridesTable } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import type { Override } from './override.ts';

const date = (value: string | Date) => new Date(value);
const dateOrNull = (value: string | Date | null) => (value === null ? null : new Date(value));

export function toOverride(row: Selectable<OverridesTable>): Override {
  return {
    id: row.id,
    workspace: row.workspace,
    kind: row.kind,
    action: row.action,
    ends_at: date(row.ends_at),
    reason: row.reason,
    actor: row.actor,
    created_at: date(row.created_at),
    removed_at: dateOrNull(row.removed_at),
    consumed_at: dateOrNull(row.consumed_at),
  };
}

export async function insertOverride(db: Db, override: Override): Promise<void> {
  await storeCall('insertOverride', () =>
    db
      .insertInto('overrides')
      .values({
        id: override.id,
        workspace: override.workspace,
        kind: override.kind,
        action: override.action,
        ends_at: toInstant(override.ends_at),
        reason: override.reason,
        actor: override.actor,
        created_at: toInstant(override.created_at),
        removed_at: null,
        removed_by: null,
        consumed_at: null,
        consumed_firing_id: null,
      })
      .execute(),
  );
}

export async function getOverride(db: Db, workspace: string, id: string): Promise<Override | null> {
  const row = await storeCall('getOverride', () =>
    db
      .selectFrom('overrides')
      .selectAll()
      .where('workspace', '=', workspace)
      .where('id', '=', id)
      .executeTakeFirst(),
  );
  return row ? toOverride(row) : null;
}

/**
 * Overrides not removed that end after `since`, oldest first; `workspace` narrows to one workspace or to
 * a list (a page of them, in one query). The scheduler reads them with `since` a little in the past, so
 * those that just ended can hand back (override.ts).
 */
export async function overridesEndingAfter(
  db: Db,
  since: Date,
  workspace?: string | readonly string[],
): Promise<Override[]> {
  if (workspace !== undefined && typeof workspace !== 'string' && workspace.length === 0) return [];
  const rows = await storeCall('overridesEndingAfter', () => {
    let query = db
      .selectFrom('overrides')
      .selectAll()
      .where('removed_at', 'is', null)
      .where('ends_at', '>', toInstant(since));
    if (typeof workspace === 'string') query = query.where('workspace', '=', workspace);
    else if (workspace !== undefined) query = query.where('workspace', 'in', workspace);
    return query.orderBy('created_at').orderBy('id').execute();
  });
  return rows.map(toOverride);
}

/** Ends an override early; false when it was already removed. */
export async function removeOverride(db: Db, id: string, by: string, at: Date): Promise<boolean> {
  const result = await storeCall('removeOverride', () =>
    db
      .updateTable('overrides')
      .set({ removed_at: toInstant(at), removed_by: by })
      .where('id', '=', id)
      .where('removed_at', 'is', null)
      .executeTakeFirst(),
  );
  return result.numUpdatedRows > 0n;
}

/**
 * Marks a skip_next as having skipped the firing `firingId`. Called in the transaction that records the
 * firing: the conditional update is the claim, so with replicas exactly one firing consumes it. False when
 * another firing (or a DELETE) got there first.
 */
export async function consumeSkipNext(db: Db, id: string, firingId: number, at: Date): Promise<boolean> {
  const result = await storeCall('consumeSkipNext', () =>
    db
      .updateTable('overrides')
      .set({ consumed_at: toInstant(at), consumed_firing_id: firingId })
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .where('removed_at', 'is', null)
      .executeTakeFirst(),
  );
  return result.numUpdatedRows > 0n;
}

/** Every override of a workspace still stored, ended or not, newest first. */
export async function overrideHistory(db: Db, workspace: string): Promise<Override[]> {
  const rows = await storeCall('overrideHistory', () =>
    db
      .selectFrom('overrides')
      .selectAll()
      .where('workspace', '=', workspace)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute(),
  );
  return rows.map(toOverride);
}
