import type { Selectable, Updateable } from 'kysely';
import { dialectOf, inTransaction, toInstant } from '../store/dialect.ts';
import type { Db, WorkspaceStatusTable } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import { isBusy, type WorkspaceEvent, type WorkspaceObservedStatus } from './workspace-state.ts';
import { transitionWorkspace, type WorkspaceMachineState } from './workspace-transition.ts';

/** A workspace's observed state (SPEC §2), as the rest of the code sees it: booleans are booleans. */
export interface WorkspaceStatus {
  workspace: string;
  status: WorkspaceObservedStatus;
  mode: string | null;
  drifted: boolean;
  /** Set through the API's enable/disable; null means "as the config says". */
  enabled_override: boolean | null;
  /** The content hash of the configuration last deployed successfully. */
  config_hash: string | null;
  config_error: string | null;
  last_run_id: string | null;
  /** The status before the run in progress; set exactly while `deploying` / `destroying`. */
  status_before_run: WorkspaceObservedStatus | null;
  deployed_at: string | null;
  destroyed_at: string | null;
  status_changed_at: string | null;
  updated_at: string;
  /** When a drift check last ended with a finding (docs/drift.md). */
  drift_checked_at: string | null;
  /** When the workspace became drifted; null while it is not. */
  drift_since: string | null;
  /** The check that found the drift in force. */
  drift_run_id: string | null;
  /** What that check's plan would change; null while not drifted. */
  drift_summary: DriftSummary | null;
  /** The resources it would change; empty while not drifted. */
  drift_addresses: string[];
}

export interface DriftSummary {
  readonly add: number;
  readonly change: number;
  readonly destroy: number;
}

/** The drift columns a run's outcome writes (src/drift/drift-outcome.ts decides them). */
export type DriftFields = Pick<
  WorkspaceStatus,
  'drifted' | 'drift_checked_at' | 'drift_since' | 'drift_run_id' | 'drift_summary' | 'drift_addresses'
>;

export type WorkspaceStatusPatch = Partial<
  Pick<
    WorkspaceStatus,
    'status' | 'mode' | 'drifted' | 'enabled_override' | 'config_hash' | 'config_error' | 'last_run_id'
  > &
    DriftFields
>;

/** What a run does to its workspace: a state-machine event and the fields that go with it. */
export interface WorkspaceChange {
  /** Null when only the fields change (a drift check). */
  readonly event: WorkspaceEvent | null;
  readonly runId: string;
  readonly fields?: Pick<WorkspaceStatusPatch, 'mode' | 'config_hash' | keyof DriftFields>;
}

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
 * Creates the row if needed (status `destroyed`) and writes the patch as given, outside the state
 * machine: for what is learned elsewhere than from a run (the enable/disable override, a configuration
 * error, a status adopted from outside). Runs move the status only through applyWorkspaceChange.
 */
export async function upsertWorkspaceStatus(
  db: Db,
  workspace: string,
  patch: WorkspaceStatusPatch,
  now: Date,
): Promise<WorkspaceStatus> {
  return storeCall('upsertWorkspaceStatus', () =>
    inTransaction(db, async (trx) => {
      const current = await lockOrCreate(trx, workspace, now);
      const values = toColumns(patch);
      if (patch.status !== undefined) {
        const before = isBusy(current.status) ? current.status_before_run : current.status;
        const next = { status: patch.status, status_before_run: isBusy(patch.status) ? before : null };
        Object.assign(values, statusColumns(current, next, now));
      }
      return save(trx, workspace, values, now);
    }),
  );
}

/**
 * Applies a run's change to its workspace inside the caller's transaction (the one that records the run's
 * state, so the two cannot disagree): creates the row if needed, locks it, runs the pure transition
 * (`illegal_transition` on an edge the machine does not have), saves. Also records the run as the last.
 */
export async function applyWorkspaceChange(
  trx: Db,
  workspace: string,
  change: WorkspaceChange,
  now: Date,
): Promise<WorkspaceStatus> {
  const current = await lockOrCreate(trx, workspace, now);
  const values = { ...toColumns(change.fields ?? {}), last_run_id: change.runId };
  if (change.event !== null) {
    const next = transitionWorkspace(workspace, current, change.event);
    // Back to the status before a run that changed nothing: no deploy or destroy happened to stamp.
    const restored = change.event === 'canceled_before_apply';
    Object.assign(values, statusColumns(current, next, now, !restored));
  }
  return save(trx, workspace, values, now);
}

/** A status learned outside Tide (an adopted installation), with the times it was last reached. */
export interface AdoptedWorkspaceStatus {
  readonly status: 'deployed' | 'destroyed' | 'deploy_failed' | 'destroy_failed';
  readonly mode: string | null;
  readonly deployedAt: Date | null;
  readonly destroyedAt: Date | null;
}

/**
 * Records an adopted status for a workspace Tide knows nothing of yet, inside the caller's transaction.
 * Does nothing when the workspace already has a row: what Tide observed itself wins.
 */
export async function adoptWorkspaceStatus(
  trx: Db,
  workspace: string,
  adopted: AdoptedWorkspaceStatus,
  now: Date,
): Promise<void> {
  const at = (date: Date | null) => (date === null ? null : toInstant(date));
  // When a failure happened is not known: only the last success of each kind is.
  const changedAt =
    adopted.status === 'deployed'
      ? adopted.deployedAt
      : adopted.status === 'destroyed'
        ? adopted.destroyedAt
        : null;
  await trx
    .insertInto('workspace_status')
    .values({
      workspace,
      status: adopted.status,
      mode: adopted.mode,
      deployed_at: at(adopted.deployedAt),
      destroyed_at: at(adopted.destroyedAt),
      status_changed_at: at(changedAt),
      updated_at: toInstant(now),
    })
    .onConflict((conflict) => conflict.column('workspace').doNothing())
    .execute();
}

/** Reads the row for update (the row lock on PostgreSQL; on SQLite the immediate transaction is one). */
export async function lockWorkspaceStatus(trx: Db, workspace: string): Promise<WorkspaceStatus | null> {
  const row = await trx
    .selectFrom('workspace_status')
    .selectAll()
    .where('workspace', '=', workspace)
    .$if(dialectOf(trx) === 'postgres', (qb) => qb.forUpdate())
    .executeTakeFirst();
  return row ? toWorkspaceStatus(row) : null;
}

async function lockOrCreate(trx: Db, workspace: string, now: Date): Promise<WorkspaceStatus> {
  const at = toInstant(now);
  // A new row records no status change: window healing must not read "enabled mid-window" as a person
  // having acted during the window, and so wait for the next edge.
  await trx
    .insertInto('workspace_status')
    .values({ workspace, updated_at: at, status_changed_at: null })
    .onConflict((conflict) => conflict.column('workspace').doNothing())
    .execute();
  return (await lockWorkspaceStatus(trx, workspace))!;
}

/**
 * A change of status stamps status_changed_at, and (unless `reached` is false) deployed_at / destroyed_at
 * when it reaches `deployed` / `destroyed`.
 */
function statusColumns(
  current: WorkspaceStatus,
  next: WorkspaceMachineState,
  now: Date,
  reached = true,
): Updateable<WorkspaceStatusTable> {
  const { status } = next;
  const values: Updateable<WorkspaceStatusTable> = { status, status_before_run: next.status_before_run };
  if (status === current.status) return values;
  const at = toInstant(now);
  values.status_changed_at = at;
  if (reached && status === 'deployed') values.deployed_at = at;
  if (reached && status === 'destroyed') values.destroyed_at = at;
  return values;
}

async function save(
  trx: Db,
  workspace: string,
  values: Updateable<WorkspaceStatusTable>,
  now: Date,
): Promise<WorkspaceStatus> {
  const row = await trx
    .updateTable('workspace_status')
    .set({ ...values, updated_at: toInstant(now) })
    .where('workspace', '=', workspace)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toWorkspaceStatus(row);
}

/** The patch's columns other than the status, which only statusColumns writes. */
function toColumns(patch: WorkspaceStatusPatch): Updateable<WorkspaceStatusTable> {
  const { drifted, enabled_override, status: _status, drift_summary, drift_addresses, ...rest } = patch;
  const values: Updateable<WorkspaceStatusTable> = { ...rest };
  if (drifted !== undefined) values.drifted = drifted ? 1 : 0;
  if (drift_summary !== undefined)
    values.drift_summary = drift_summary === null ? null : JSON.stringify(drift_summary);
  if (drift_addresses !== undefined)
    values.drift_addresses = drift_addresses.length === 0 ? null : JSON.stringify(drift_addresses);
  if (enabled_override !== undefined)
    values.enabled_override = enabled_override === null ? null : enabled_override ? 1 : 0;
  return values;
}

function toWorkspaceStatus(row: Selectable<WorkspaceStatusTable>): WorkspaceStatus {
  return {
    ...row,
    drifted: row.drifted === 1,
    drift_summary: row.drift_summary === null ? null : (JSON.parse(row.drift_summary) as DriftSummary),
    drift_addresses: row.drift_addresses === null ? [] : (JSON.parse(row.drift_addresses) as string[]),
    enabled_override: row.enabled_override === null ? null : row.enabled_override === 1,
  };
}
