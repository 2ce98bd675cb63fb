/**
 * The `run_waits` table: which queued run waits for which other run (decision 022). The claim query
 * (src/run/run.repo.ts) reads it directly; this module writes it, reads chains for the API, and finds and
 * cancels the waiters stranded by an awaited run that did not succeed.
 */
import { dialectOf, inTransaction } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import { toRun, updateRunState } from '../run/run.repo.ts';
import type { Run } from '../run/run.ts';
import { deadlockVictim, describeCycle, findWaitCycle } from './wait-deadlock.ts';

export interface RunWait {
  readonly waiter_run_id: string;
  readonly awaited_run_id: string;
  /** The awaited run's workspace. */
  readonly dependency: string;
}

export async function insertWaits(db: Db, waits: readonly RunWait[]): Promise<void> {
  if (waits.length === 0) return;
  await storeCall('insertWaits', () =>
    db
      .insertInto('run_waits')
      .values(waits.map((wait) => ({ ...wait })))
      .execute(),
  );
}

/** The runs `runId` waits for (direct), oldest first, then by workspace. */
export async function awaitedRuns(db: Db, runId: string): Promise<Run[]> {
  return storeCall('awaitedRuns', async () => {
    const rows = await db
      .selectFrom('run_waits as w')
      .innerJoin('runs as r', 'r.id', 'w.awaited_run_id')
      .selectAll('r')
      .where('w.waiter_run_id', '=', runId)
      .orderBy('r.created_at')
      .orderBy('r.workspace')
      .orderBy('r.id')
      .execute();
    return rows.map(toRun);
  });
}

/** The runs waiting for `runId` (direct), oldest first, then by workspace. */
export async function waitingRuns(db: Db, runId: string): Promise<Run[]> {
  return storeCall('waitingRuns', async () => {
    const rows = await db
      .selectFrom('run_waits as w')
      .innerJoin('runs as r', 'r.id', 'w.waiter_run_id')
      .selectAll('r')
      .where('w.awaited_run_id', '=', runId)
      .orderBy('r.created_at')
      .orderBy('r.workspace')
      .orderBy('r.id')
      .execute();
    return rows.map(toRun);
  });
}

/** Why a waiter is canceled: the awaited workspace, its run id and how that run ended. */
export function strandedReason(waiter: Pick<Run, 'action'>, awaited: Run): string {
  const role = waiter.action === 'destroy' ? 'dependent' : 'dependency';
  const cause = awaited.state === 'canceled' && awaited.reason ? ` (${awaited.reason})` : '';
  return `${role} ${awaited.workspace}: run ${awaited.id} ${awaited.state}${cause}`;
}

/**
 * Cancels every queued run that waits for a run which ended without succeeding, and then their waiters
 * in turn, in one transaction; returns the canceled runs. Each reason names the dependency, its run and
 * how that run ended, so a chain says where it stopped. Then breaks any deadlock between chains
 * (wait-deadlock.ts) by canceling the newest waiting run in it, the reason naming the cycle.
 */
export async function cancelStrandedWaiters(db: Db, now: Date): Promise<Run[]> {
  return storeCall('cancelStrandedWaiters', () =>
    inTransaction(db, async (trx) => {
      const canceled: Run[] = [];
      for (;;) {
        const stranded = await trx
          .selectFrom('run_waits as w')
          .innerJoin('runs as waiter', 'waiter.id', 'w.waiter_run_id')
          .innerJoin('runs as awaited', 'awaited.id', 'w.awaited_run_id')
          .select(['w.waiter_run_id', 'w.awaited_run_id'])
          .where('waiter.state', '=', 'queued')
          .where('awaited.state', 'in', ['failed', 'canceled', 'timed_out'])
          .orderBy('waiter.created_at')
          .orderBy('w.waiter_run_id')
          .orderBy('awaited.created_at')
          .orderBy('w.awaited_run_id')
          .$if(dialectOf(trx) === 'postgres', (qb) => qb.forUpdate(['waiter']))
          .execute();
        if (stranded.length === 0) {
          const victim = await deadlockVictimIn(trx);
          if (!victim) return canceled;
          canceled.push(await updateRunState(trx, victim.id, 'canceled', now, { reason: victim.reason }));
          // Its waiters are stranded now: the next pass cancels them.
          continue;
        }
        const done = new Set<string>();
        for (const { waiter_run_id, awaited_run_id } of stranded) {
          if (done.has(waiter_run_id)) continue;
          done.add(waiter_run_id);
          const awaited = await trx
            .selectFrom('runs')
            .selectAll()
            .where('id', '=', awaited_run_id)
            .executeTakeFirstOrThrow();
          const waiter = await trx
            .selectFrom('runs')
            .selectAll()
            .where('id', '=', waiter_run_id)
            .executeTakeFirstOrThrow();
          canceled.push(
            await updateRunState(trx, waiter_run_id, 'canceled', now, {
              reason: strandedReason(waiter, toRun(awaited)),
            }),
          );
        }
      }
    }),
  );
}

/** The run to cancel to break a deadlock among the active runs, with its reason; null if there is none. */
async function deadlockVictimIn(trx: Db): Promise<{ id: string; reason: string } | null> {
  const waits = await trx
    .selectFrom('run_waits as w')
    .innerJoin('runs as waiter', 'waiter.id', 'w.waiter_run_id')
    .innerJoin('runs as awaited', 'awaited.id', 'w.awaited_run_id')
    .select(['w.waiter_run_id as waiter', 'w.awaited_run_id as awaited'])
    .where('waiter.state', '=', 'queued')
    .where('awaited.state', 'in', ['queued', 'running'])
    .execute();
  if (waits.length === 0) return null;
  const rows = await trx
    .selectFrom('runs')
    .select(['id', 'workspace', 'action', 'lock_key', 'state', 'priority', 'created_at'])
    .where('state', 'in', ['queued', 'running'])
    .execute();
  const runs = rows.map((row) => ({ ...row, state: row.state as 'queued' | 'running' }));
  const cycle = findWaitCycle(runs, waits);
  if (!cycle) return null;
  const victim = deadlockVictim(cycle, runs, waits);
  return {
    id: victim.id,
    reason: `dependency deadlock: ${describeCycle(cycle, runs)}; the newest waiting run gives way`,
  };
}
