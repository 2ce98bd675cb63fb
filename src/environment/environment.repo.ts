/**
 * The environments' rows (migration 0011): the assignment of each environment, the switch in progress
 * (one per environment at a time, across replicas), and the record of every switch.
 */
import type { Selectable } from 'kysely';
import { RUNS_ONE_RUNNING_PER_LOCK_KEY } from '../store/constraints.ts';
import { instantAfter, inTransaction, toInstant } from '../store/dialect.ts';
import type {
  Db,
  EnvironmentAssignmentsTable,
  EnvironmentSwitchResult,
  EnvironmentSwitchesTable,
} from '../store/schema.ts';
import { storeCall, violates } from '../store/store-errors.ts';
import { TideError } from '../errors/tide-error.ts';
import { toRun } from '../run/run.repo.ts';
import type { Run } from '../run/run.ts';

export type AssignmentRow = EnvironmentAssignmentsTable;

export interface SwitchRecord {
  readonly id: string;
  readonly environment: string;
  readonly from_workspace: string | null;
  readonly to_workspace: string;
  readonly actor: string;
  readonly result: EnvironmentSwitchResult;
  readonly reason: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly started_at: string;
  readonly finished_at: string;
}

/**
 * The workspace an environment points at: the recorded one once a switch succeeded, else the file's
 * `assigned_workspace` (a row also exists after a refused or failed first switch; it records no assignment).
 */
export function assignedWorkspace(
  row: AssignmentRow | null | undefined,
  initial: string | null,
): string | null {
  return row?.assigned_at ? row.workspace : initial;
}

export async function listAssignments(db: Db): Promise<AssignmentRow[]> {
  return storeCall('listAssignments', () => db.selectFrom('environment_assignments').selectAll().execute());
}

export async function getAssignment(db: Db, environment: string): Promise<AssignmentRow | null> {
  return storeCall(
    'getAssignment',
    async () =>
      (await db
        .selectFrom('environment_assignments')
        .selectAll()
        .where('environment', '=', environment)
        .executeTakeFirst()) ?? null,
  );
}

/**
 * Marks a switch of `environment` as in progress, unless another one is and started after `staleBefore`
 * (a replica that died mid-switch leaves its mark; it is taken over once stale). Returns the row before
 * the claim (`workspace` is the recorded assignment), or null when another switch holds it. A missing row
 * is created with `initialWorkspace` (the file's assignment) as its workspace.
 */
export async function claimSwitch(
  db: Db,
  claim: {
    environment: string;
    switchId: string;
    to: string;
    initialWorkspace: string | null;
    now: Date;
    staleBefore: Date;
  },
): Promise<{ claimed: true; previous: AssignmentRow } | { claimed: false; holder: AssignmentRow }> {
  return storeCall('claimSwitch', () =>
    inTransaction(db, async (trx) => {
      await trx
        .insertInto('environment_assignments')
        .values({
          environment: claim.environment,
          workspace: claim.initialWorkspace,
          assigned_at: null,
          assigned_by: null,
          switch_id: null,
          switching_to: null,
          switch_started_at: null,
        })
        .onConflict((oc) => oc.column('environment').doNothing())
        .execute();
      const previous = await trx
        .selectFrom('environment_assignments')
        .selectAll()
        .where('environment', '=', claim.environment)
        .executeTakeFirstOrThrow();
      const updated = await trx
        .updateTable('environment_assignments')
        .set({
          switch_id: claim.switchId,
          switching_to: claim.to,
          switch_started_at: toInstant(claim.now),
        })
        .where('environment', '=', claim.environment)
        .where((eb) =>
          eb.or([eb('switch_id', 'is', null), eb('switch_started_at', '<', toInstant(claim.staleBefore))]),
        )
        .executeTakeFirst();
      // The update's condition decides between replicas: a concurrent claim waits on the row and then
      // finds switch_id set.
      if (Number(updated.numUpdatedRows) === 0) return { claimed: false, holder: previous };
      return { claimed: true, previous };
    }),
  );
}

/**
 * Ends a switch in one transaction: records it, moves the assignment when it succeeded, and clears the
 * claim (only if still this switch's: a stale claim taken over belongs to the newer switch).
 */
export async function finishSwitch(
  db: Db,
  record: SwitchRecord,
  assign: { workspace: string; by: string; at: Date } | null,
  /** Announces the switch (notifications) in the same transaction; only called when `assign` is set. */
  announce?: (trx: Db) => Promise<unknown>,
): Promise<void> {
  await storeCall('finishSwitch', () =>
    inTransaction(db, async (trx) => {
      if (assign) await announce?.(trx);
      await trx
        .insertInto('environment_switches')
        .values({
          id: record.id,
          environment: record.environment,
          from_workspace: record.from_workspace,
          to_workspace: record.to_workspace,
          actor: record.actor,
          result: record.result,
          reason: record.reason,
          details: JSON.stringify(record.details),
          started_at: toInstant(record.started_at),
          finished_at: toInstant(record.finished_at),
        })
        .execute();
      await trx
        .updateTable('environment_assignments')
        .set({
          switch_id: null,
          switching_to: null,
          switch_started_at: null,
          ...(assign
            ? { workspace: assign.workspace, assigned_by: assign.by, assigned_at: toInstant(assign.at) }
            : {}),
        })
        .where('environment', '=', record.environment)
        .where('switch_id', '=', record.id)
        .execute();
    }),
  );
}

/** Records a switch that changed nothing and held no claim (already assigned; refused before claiming). */
export async function recordSwitch(db: Db, record: SwitchRecord): Promise<void> {
  await storeCall('recordSwitch', async () => {
    await db
      .insertInto('environment_switches')
      .values({ ...record, details: JSON.stringify(record.details) })
      .execute();
  });
}

export async function listSwitches(db: Db, environment: string, limit: number): Promise<SwitchRecord[]> {
  return storeCall('listSwitches', async () => {
    const rows = await db
      .selectFrom('environment_switches')
      .selectAll()
      .where('environment', '=', environment)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toRecord);
  });
}

function toRecord(row: Selectable<EnvironmentSwitchesTable>): SwitchRecord {
  const { seq: _seq, ...rest } = row;
  return { ...rest, details: JSON.parse(row.details) as Record<string, unknown> };
}

/**
 * The workspace's outputs as of its latest succeeded deploy or mode switch (what its engine printed with
 * `output -json`, sensitive values replaced), or null if it has none.
 */
export async function deployedOutputs(db: Db, workspace: string): Promise<Record<string, unknown> | null> {
  return storeCall('deployedOutputs', async () => {
    const row = await db
      .selectFrom('runs')
      .select('outputs')
      .where('workspace', '=', workspace)
      .where('state', '=', 'succeeded')
      .where('action', 'in', ['deploy', 'mode'])
      .where('outputs', 'is not', null)
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.outputs ? (JSON.parse(row.outputs) as Record<string, unknown>) : null;
  });
}

/**
 * A template switch action's run (docs/environments.md): inserted already `running` under the switch's
 * own lease, so no runner claims it, and so Tide's state backend accepts the engine's credential for it
 * (state key `_jobs/_environment_/<environment>`). One at a time per environment (lock key).
 */
export async function insertActionRun(
  db: Db,
  run: {
    id: string;
    scope: string;
    environment: string;
    actor: string;
    owner: string;
    now: Date;
    leaseMs: number;
  },
): Promise<Run> {
  return storeCall(
    'insertActionRun',
    async () => {
      const row = await db
        .insertInto('runs')
        .values({
          id: run.id,
          workspace: run.scope,
          job: run.environment,
          action: 'job',
          mode: null,
          state: 'running',
          trigger: 'manual',
          actor: run.actor,
          attempt: 1,
          retry_of: null,
          firing_id: null,
          lock_key: `environment:${run.environment}`,
          priority: 0,
          config_hash: null,
          not_before: null,
          created_at: toInstant(run.now),
          started_at: toInstant(run.now),
          lease_owner: run.owner,
          lease_expires_at: instantAfter(run.now, run.leaseMs),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRun(row);
    },
    (violation, cause) =>
      violates(violation, { constraint: RUNS_ONE_RUNNING_PER_LOCK_KEY, table: 'runs', columns: ['lock_key'] })
        ? new TideError(
            'conflict',
            `a switch action of environment "${run.environment}" is already running`,
            {
              cause,
            },
          )
        : undefined,
  );
}
