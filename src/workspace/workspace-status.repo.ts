import type { Selectable, Updateable } from 'kysely';
import { dialectOf, inTransaction, toInstant } from '../store/dialect.ts';
import type { Db, WorkspaceObservedStatus, WorkspaceStatusTable } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';

/** A workspace's observed state (SPEC §2), as the rest of the code sees it: booleans are booleans. */
export interface WorkspaceStatus {
  workspace: string;
  status: WorkspaceObservedStatus;
  mode: string | null;
  drifted: boolean;
  /** Set through the API's enable/disable; null means "as the config says". */
  enabled_override: boolean | null;
  config_hash: string | null;
  config_error: string | null;
  last_run_id: string | null;
  deployed_at: string | null;
  destroyed_at: string | null;
  status_changed_at: string | null;
  updated_at: string;
}

export type WorkspaceStatusPatch = Partial<
  Pick<
    WorkspaceStatus,
    'status' | 'mode' | 'drifted' | 'enabled_override' | 'config_hash' | 'config_error' | 'last_run_id'
  >
>;

export async function getWorkspaceStatus(db: Db, workspace: string): Promise<WorkspaceStatus | null> {
  return storeCall('getWorkspaceStatus', async () => {
    const row = await db
      .selectFrom('workspace_status')
      .selectAll()
      .where('workspace', '=', workspace)
      .executeTakeFirst();
    return row ? toWorkspaceStatus(row) : null;
  });
}

/** Every known workspace, by name. */
export async function listWorkspaceStatuses(db: Db): Promise<WorkspaceStatus[]> {
  return storeCall('listWorkspaceStatuses', async () => {
    const rows = await db.selectFrom('workspace_status').selectAll().orderBy('workspace').execute();
    return rows.map(toWorkspaceStatus);
  });
}

/**
 * Creates the row if needed (status `destroyed`) and applies the patch. A change of status stamps
 * status_changed_at, and deployed_at / destroyed_at when it reaches `deployed` / `destroyed`; fields
 * not in the patch keep their values.
 */
export async function upsertWorkspaceStatus(
  db: Db,
  workspace: string,
  patch: WorkspaceStatusPatch,
  now: Date,
): Promise<WorkspaceStatus> {
  const at = toInstant(now);
  return storeCall('upsertWorkspaceStatus', () =>
    inTransaction(db, async (trx) => {
      await trx
        .insertInto('workspace_status')
        .values({ workspace, updated_at: at, status_changed_at: at })
        .onConflict((conflict) => conflict.column('workspace').doNothing())
        .execute();
      const current = await trx
        .selectFrom('workspace_status')
        .select('status')
        .where('workspace', '=', workspace)
        .$if(dialectOf(trx) === 'postgres', (qb) => qb.forUpdate())
        .executeTakeFirstOrThrow();
      const values: Updateable<WorkspaceStatusTable> = { ...toColumns(patch), updated_at: at };
      if (patch.status !== undefined && patch.status !== current.status) {
        values.status_changed_at = at;
        if (patch.status === 'deployed') values.deployed_at = at;
        if (patch.status === 'destroyed') values.destroyed_at = at;
      }
      const row = await trx
        .updateTable('workspace_status')
        .set(values)
        .where('workspace', '=', workspace)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toWorkspaceStatus(row);
    }),
  );
}

function toColumns(patch: WorkspaceStatusPatch): Updateable<WorkspaceStatusTable> {
  const { drifted, enabled_override, ...rest } = patch;
  const values: Updateable<WorkspaceStatusTable> = { ...rest };
  if (drifted !== undefined) values.drifted = drifted ? 1 : 0;
  if (enabled_override !== undefined)
    values.enabled_override = enabled_override === null ? null : enabled_override ? 1 : 0;
  return values;
}

function toWorkspaceStatus(row: Selectable<WorkspaceStatusTable>): WorkspaceStatus {
  return {
    ...row,
    drifted: row.drifted === 1,
    enabled_override: row.enabled_override === null ? null : row.enabled_override === 1,
  };
}
