import type { Selectable, Updateable } from 'kysely';
import { TideError } from '../errors/tide-error.ts';
import { dialectOf, inTransaction, instantAfter, toInstant } from '../store/dialect.ts';
import { RUNS_ONE_RUNNING_PER_LOCK_KEY } from '../store/constraints.ts';
import { decodeCursor, pageSize, toPage, type Page } from '../store/page.ts';
import type { Db, RunsTable } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import {
  isUniqueViolation,
  storeCall,
  translateStoreError,
  violates,
  type UniqueViolationHandler,
} from '../store/store-errors.ts';
import { isDone, type RunAction, type RunState, type RunTrigger } from './run-state.ts';
import { transitionRun, type RunTransitionFields } from './run-transition.ts';
import { lockKeyFor, priorityFor, type Run } from './run.ts';

export interface NewRun {
  /** App-generated, e.g. crypto.randomUUID(). */
  id: string;
  workspace: string;
  job?: string | null;
  action: RunAction;
  mode?: string | null;
  trigger: RunTrigger;
  actor?: string | null;
  attempt?: number;
  retry_of?: string | null;
  firing_id?: number | null;
  /** Default: lockKeyFor(run) — the workspace, or `job:<name>` for a standalone job. */
  lock_key?: string;
  /** Default: priorityFor(trigger) — 0 for manual/api, 1 otherwise. */
  priority?: number;
  config_hash?: string | null;
  /** Not claimed before this instant (retry backoff, jitter). */
  not_before?: Date | null;
  created_at: Date;
  /** A manual deploy's own TTL (src/workspace/ttl.ts). */
  ttl_seconds?: number | null;
}

/** Runs are always created queued: `running` is reached only through a claim or updateRunState. */
export async function insertRun(db: Db, run: NewRun): Promise<Run> {
  return storeCall('insertRun', async () => {
    const row = await db
      .insertInto('runs')
      .values({
        id: run.id,
        workspace: run.workspace,
        job: run.job ?? null,
        action: run.action,
        mode: run.mode ?? null,
        state: 'queued',
        trigger: run.trigger,
        actor: run.actor ?? null,
        attempt: run.attempt ?? 1,
        retry_of: run.retry_of ?? null,
        firing_id: run.firing_id ?? null,
        lock_key: run.lock_key ?? lockKeyFor(run),
        priority: run.priority ?? priorityFor(run.trigger),
        config_hash: run.config_hash ?? null,
        not_before: run.not_before ? toInstant(run.not_before) : null,
        created_at: toInstant(run.created_at),
        // Only when asked for: the column is null by default (and absent from older schemas in tests).
        ...(run.ttl_seconds ? { ttl_seconds: run.ttl_seconds } : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toRun(row);
  });
}

export async function getRun(db: Db, id: string): Promise<Run | null> {
  return storeCall('getRun', async () => {
    const row = await db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRun(row) : null;
  });
}

export interface ListRunsQuery {
  workspace?: string;
  /** Runs of this job only. */
  job?: string;
  state?: RunState | readonly RunState[];
  trigger?: RunTrigger;
  /**
   * SQL LIKE patterns on the workspace, in groups: a run is listed when every group has a pattern that
   * matches (how a caller's workspace scope reaches the query, so pages stay full).
   */
  workspaceLike?: readonly (readonly string[])[];
  /** Default 50, at most 500. */
  limit?: number;
  cursor?: string | null;
}

/** Runs newest first (by created_at, then id). */
export async function listRuns(db: Db, query: ListRunsQuery = {}): Promise<Page<Run>> {
  const limit = pageSize(query.limit);
  const after = query.cursor ? decodeCursor(query.cursor, 'string') : null;
  const states = query.state === undefined ? undefined : ([] as RunState[]).concat(query.state);
  if (states?.length === 0) return { items: [], next_cursor: null };
  return storeCall('listRuns', async () => {
    const rows = await db
      .selectFrom('runs')
      .selectAll()
      .$if(query.workspace !== undefined, (qb) => qb.where('workspace', '=', query.workspace ?? ''))
      .$if(query.job !== undefined, (qb) => qb.where('job', '=', query.job ?? ''))
      .$if(states !== undefined, (qb) => qb.where('state', 'in', states ?? []))
      .$if(query.trigger !== undefined, (qb) => qb.where('trigger', '=', query.trigger ?? 'manual'))
      .$if((query.workspaceLike ?? []).length > 0, (qb) =>
        qb.where((eb) =>
          eb.and(
            (query.workspaceLike ?? []).map((group) =>
              eb.or(group.map((pattern) => eb('workspace', 'like', pattern))),
            ),
          ),
        ),
      )
      .$if(after !== null, (qb) =>
        qb.where((eb) => {
          const [createdAt, id] = after ?? ['', ''];
          return eb.or([
            eb('created_at', '<', createdAt),
            eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
          ]);
        }),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    return toPage(rows.map(toRun), limit, (run) => [run.created_at, run.id]);
  });
}

/**
 * The newest run in `states` of each of `workspaces` (same order as listRuns: created_at, then id), in one
 * query: a page of workspaces must not cost one round trip per workspace.
 */
export async function latestRunsOf(
  db: Db,
  workspaces: readonly string[],
  states: readonly RunState[],
): Promise<Map<string, Run>> {
  if (workspaces.length === 0 || states.length === 0) return new Map();
  return storeCall('latestRunsOf', async () => {
    const ranked = db
      .selectFrom('runs')
      .selectAll()
      .select((eb) =>
        eb.fn
          .agg<number>('row_number')
          .over((ob) => ob.partitionBy('workspace').orderBy('created_at', 'desc').orderBy('id', 'desc'))
          .as('newest'),
      )
      .where('workspace', 'in', workspaces)
      .where('state', 'in', states);
    const rows = await db.selectFrom(ranked.as('ranked')).selectAll().where('newest', '=', 1).execute();
    return new Map(
      rows.map(({ newest: _newest, ...row }) => {
        const run = toRun(row);
        return [run.workspace, run];
      }),
    );
  });
}

export interface RunStateUpdate extends RunTransitionFields {
  /** Required when entering `running`: every running run holds a lease, so none is left running forever. */
  lease?: { owner: string; leaseMs: number };
  /** Refuse (`conflict`) unless the caller still holds the lease it claimed: a runner that lost its lease
   * must not overwrite the outcome recorded by whoever took over. */
  fence?: Fence;
}

/** The lease a runner claimed: its owner id and the fencing token of its claim. */
export interface Fence {
  owner: string;
  fencingToken: number;
}

/**
 * Moves a run to another state in one transaction: lock the row (FOR UPDATE on PostgreSQL; the
 * BEGIN IMMEDIATE transaction on SQLite), apply the pure transition, save. Entering `running` while
 * another run holds the same lock key fails with `workspace_busy`, straight from the unique index.
 */
export async function updateRunState(
  db: Db,
  id: string,
  to: RunState,
  now: Date,
  fields: RunStateUpdate = {},
): Promise<Run> {
  const { lease, fence, ...recorded } = fields;
  if (to === 'running' && !lease) {
    throw new TideError('invalid_argument', `run ${id} cannot enter running without a lease`);
  }
  return storeCall(
    'updateRunState',
    () =>
      inTransaction(db, async (trx) => {
        const current = await lockRun(trx, id);
        if (fence) assertHoldsLease(current, fence);
        const change = transitionRun(current, to, now, recorded);
        const values: Updateable<RunsTable> = {
          state: change.state,
          started_at: change.started_at,
          finished_at: change.finished_at,
          ...serializeRecorded(change),
        };
        if (to === 'running' && lease) {
          values.lease_owner = lease.owner;
          values.lease_expires_at = instantAfter(now, lease.leaseMs);
          values.fencing_token = current.fencing_token + 1;
        }
        // A finished run holds no lease: nothing is left for the reaper to find.
        if (isDone(to)) values.lease_expires_at = null;
        const row = await trx
          .updateTable('runs')
          .set(values)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
        return toRun(row);
      }),
    workspaceBusy,
  );
}

export interface ClaimOptions {
  /** Who claims: a runner id, stored as lease_owner. */
  owner: string;
  leaseMs: number;
  /**
   * Read inside the claim once the run is held (after the immediate transaction began on SQLite, after
   * the row lock on PostgreSQL), so started_at and the lease start when the claim commits, not when the
   * caller asked: a claim that waited for the database lock does not start with a lease already spent.
   */
  clock: Clock;
}

// Each retry follows a lost race for a lock key that then became busy, so the next attempt sees it.
const MAX_CLAIM_ATTEMPTS = 5;

/**
 * Claims the next queued run and marks it running under a lease, or returns null if nothing can run.
 *
 * The pick: the first queued run by (priority, created_at, id) that is the head of its lock key's queue,
 * whose lock key has no running run, and whose awaited runs (run_waits) all succeeded. Taking only heads
 * keeps each workspace's runs in order even when a concurrent claimer holds the head (SKIP LOCKED would
 * otherwise hand out the second one).
 * On PostgreSQL the row is taken FOR UPDATE SKIP LOCKED, so parallel claimers never get the same run; if
 * two claimers win different heads of one lock key at once, the unique index rejects the second and it
 * tries again. On SQLite the immediate transaction serializes claimers.
 */
export async function claimNextQueued(db: Db, options: ClaimOptions): Promise<Run | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await inTransaction(db, (trx) => claimOnce(trx, options));
    } catch (error) {
      // A caller's transaction is aborted by the violation on PostgreSQL, so only our own can retry.
      if (!isUniqueViolation(error) || db.isTransaction || attempt >= MAX_CLAIM_ATTEMPTS) {
        throw translateStoreError(error, 'claimNextQueued', workspaceBusy);
      }
    }
  }
}

async function claimOnce(trx: Db, { owner, leaseMs, clock }: ClaimOptions): Promise<Run | null> {
  const candidate = await trx
    .selectFrom('runs as r')
    .selectAll('r')
    .where('r.state', '=', 'queued')
    // Nothing of the same lock key is running or queued ahead of it: only heads of free queues qualify.
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom('runs as o')
            .select('o.id')
            .whereRef('o.lock_key', '=', 'r.lock_key')
            // A job waiting for its chain (job-chain.repo.ts) holds no one up.
            .where(({ not, exists, selectFrom }) =>
              not(
                exists(
                  selectFrom('job_chain_runs as w')
                    .select('w.run_id')
                    .whereRef('w.run_id', '=', 'o.id')
                    .where('w.waiting_on', '<>', '[]'),
                ),
              ),
            )
            .where((eb) =>
              eb.or([
                eb('o.state', '=', 'running'),
                eb.and([
                  eb('o.state', '=', 'queued'),
                  eb(
                    eb.refTuple('o.priority', 'o.created_at', 'o.id'),
                    '<',
                    eb.refTuple('r.priority', 'r.created_at', 'r.id'),
                  ),
                ]),
              ]),
            ),
        ),
      ),
    )
    // A run waiting for runs of its dependencies (run_waits, src/workspace-dependency/) is not claimable
    // until every one of them succeeded; a failed one gets it canceled by the dependency sweep.
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom('run_waits as w')
            .innerJoin('runs as a', 'a.id', 'w.awaited_run_id')
            .select('w.awaited_run_id')
            .whereRef('w.waiter_run_id', '=', 'r.id')
            .where('a.state', '!=', 'succeeded'),
        ),
      ),
    )
    // A job of a chain runs only once every job it depends on in the chain succeeded.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('job_chain_runs as w')
            .select('w.run_id')
            .whereRef('w.run_id', '=', 'r.id')
            .where('w.waiting_on', '<>', '[]'),
        ),
      ),
    )
    // A delayed head waits its turn rather than letting younger runs of its workspace overtake it.
    .where((eb) => eb.or([eb('r.not_before', 'is', null), eb('r.not_before', '<=', toInstant(clock.now()))]))
    .orderBy('r.priority')
    .orderBy('r.created_at')
    .orderBy('r.id')
    .limit(1)
    .$if(dialectOf(trx) === 'postgres', (qb) => qb.forUpdate(['r']).skipLocked())
    .executeTakeFirst();
  if (!candidate) return null;

  const now = clock.now();
  const change = transitionRun(candidate, 'running', now);
  const row = await trx
    .updateTable('runs')
    .set((eb) => ({
      state: change.state,
      started_at: change.started_at,
      lease_owner: owner,
      lease_expires_at: instantAfter(now, leaseMs),
      fencing_token: eb('fencing_token', '+', 1),
    }))
    .where('id', '=', candidate.id)
    .where('state', '=', 'queued')
    .returningAll()
    .executeTakeFirst();
  return row ? toRun(row) : null;
}

/**
 * Extends a lease. False when the lease is lost: the run is no longer running, another owner or a newer
 * fencing token holds it, or it already expired (an expired lease belongs to the reaper, which marks the
 * run failed as `orphaned`; renewing it would race that).
 */
export async function renewLease(
  db: Db,
  id: string,
  owner: string,
  fencingToken: number,
  leaseMs: number,
  now: Date,
): Promise<boolean> {
  return storeCall('renewLease', async () => {
    const result = await db
      .updateTable('runs')
      .set({ lease_expires_at: instantAfter(now, leaseMs) })
      .where('id', '=', id)
      .where('state', '=', 'running')
      .where('lease_owner', '=', owner)
      .where('fencing_token', '=', fencingToken)
      .where('lease_expires_at', '>=', toInstant(now))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  });
}

/** Running runs whose lease ran out (crash, kill -9, lost node), oldest expiry first. */
export async function findExpiredLeases(db: Db, now: Date): Promise<Run[]> {
  return storeCall('findExpiredLeases', async () => {
    const rows = await db
      .selectFrom('runs')
      .selectAll()
      .where('state', '=', 'running')
      .where('lease_expires_at', '<', toInstant(now))
      .orderBy('lease_expires_at')
      .execute();
    return rows.map(toRun);
  });
}

/** Reads a run for update: the row lock on PostgreSQL; on SQLite the immediate transaction already is one. */
export async function lockRun(trx: Db, id: string): Promise<Run> {
  const row = await trx
    .selectFrom('runs')
    .selectAll()
    .where('id', '=', id)
    .$if(dialectOf(trx) === 'postgres', (qb) => qb.forUpdate())
    .executeTakeFirst();
  if (!row) throw new TideError('not_found', `run ${id} does not exist`, { details: { run_id: id } });
  return toRun(row);
}

/** Translates the one-running-run-per-lock-key index violation; other violations stay generic. */
export const workspaceBusy: UniqueViolationHandler = (violation, cause) =>
  violates(violation, { constraint: RUNS_ONE_RUNNING_PER_LOCK_KEY, table: 'runs', columns: ['lock_key'] })
    ? new TideError('workspace_busy', 'another run of this workspace (lock key) is already running', {
        details: { constraint: RUNS_ONE_RUNNING_PER_LOCK_KEY, columns: violation.columns },
        cause,
      })
    : undefined;

/** Throws `conflict` (lease_lost) unless the run is running under this lease. */
export function assertHoldsLease(run: Run, fence: Fence): void {
  if (
    run.state === 'running' &&
    run.lease_owner === fence.owner &&
    run.fencing_token === fence.fencingToken
  ) {
    return;
  }
  throw leaseLost(run, fence.owner);
}

function leaseLost(run: Run, owner: string): TideError {
  return new TideError('conflict', `run ${run.id}: ${owner} no longer holds its lease`, {
    details: {
      run_id: run.id,
      reason: 'lease_lost',
      lease_owner: run.lease_owner,
      fencing_token: run.fencing_token,
    },
  });
}

function serializeRecorded(fields: RunTransitionFields): Updateable<RunsTable> {
  const values: Updateable<RunsTable> = {};
  if (fields.exit_code !== undefined) values.exit_code = fields.exit_code;
  if (fields.reason !== undefined) values.reason = fields.reason;
  if (fields.plan_summary !== undefined) {
    values.plan_summary = fields.plan_summary === null ? null : JSON.stringify(fields.plan_summary);
  }
  if (fields.outputs !== undefined)
    values.outputs = fields.outputs === null ? null : JSON.stringify(fields.outputs);
  return values;
}

export function toRun(row: Selectable<RunsTable>): Run {
  return {
    ...row,
    plan_summary: row.plan_summary === null ? null : (JSON.parse(row.plan_summary) as Run['plan_summary']),
    outputs: row.outputs === null ? null : (JSON.parse(row.outputs) as Run['outputs']),
  };
}
