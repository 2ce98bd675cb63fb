/**
 * Job chains (docs/jobs.md, decision 021): the job runs one trigger queues together, and how a chain
 * moves on. A run of a chain waits (queued, not claimable: `waiting_on` not empty) until every job it
 * depends on succeeded in the same chain; when one of those fails, times out, is canceled or is skipped
 * itself, the run becomes `skipped`, its reason naming the job and run that broke the chain.
 *
 * Everything here runs inside the caller's transaction: a chain is queued in the transaction that records
 * the outcome that fired it (run-outcome.repo.ts), and it moves on in the transaction that finishes one of
 * its runs, so neither an event nor a step of a chain can be lost between two writes.
 */
import { inTransaction, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';
import type { RunAction, RunTrigger } from './run-state.ts';
import { getRun, insertRun, updateRunState, type NewRun } from './run.repo.ts';
import { lockKeyFor, priorityFor, type Run } from './run.ts';

/** One run of a chain to queue. */
export interface ChainRunPlan {
  readonly job: string;
  /** The run's workspace: the context workspace, or `_standalone_`. */
  readonly workspace: string;
  /** `job`; `destroy` for the destroy of a template job's sub-stack. */
  readonly action: RunAction;
  /** Jobs of the same chain (by name) this run waits for. */
  readonly dependsOn: readonly string[];
  /** Default lockKeyFor(run). */
  readonly lockKey?: string;
  /** The job's `retries` (default 0): while a failed attempt will be retried, its dependents wait. */
  readonly retries?: number;
  readonly configHash?: string | null;
}

export interface ChainPlan {
  /** The runs' workspace (`_standalone_` for a chain of standalone jobs). */
  readonly workspace: string;
  /** `@deployment`, `@destroy`, …, `schedule`, `manual`. */
  readonly trigger: string;
  readonly runTrigger: RunTrigger;
  readonly actor: string | null;
  /** The run whose outcome fired the chain, or null (the first queued run is recorded). */
  readonly sourceRunId: string | null;
  /** Event-triggered chains run right after the run that fired them: ahead of later scheduled runs. */
  readonly priority?: number;
  /** In dependency order: a job's dependencies come before it. */
  readonly runs: readonly ChainRunPlan[];
  /**
   * A run already queued (a cron firing's, written with its ledger row) that is the chain's first member:
   * the plan's member of the same job is this run rather than a new one.
   */
  readonly root?: Run;
}

/**
 * Queues a chain: its runs, in order, and one chain row. A run with no dependencies is claimable at once.
 * Returns the queued runs (in plan order) for the caller to announce after the commit.
 */
export async function insertChain(
  trx: Db,
  plan: ChainPlan,
  ids: { chainId: string; runId: () => string },
  now: Date,
): Promise<Run[]> {
  if (plan.runs.length === 0) return [];
  const runs: Run[] = [];
  await trx
    .insertInto('job_chains')
    .values({
      id: ids.chainId,
      workspace: plan.workspace,
      trigger: plan.trigger,
      source_run_id: plan.sourceRunId ?? plan.root?.id ?? null,
      created_at: toInstant(now),
    })
    .execute();
  for (const [index, member] of plan.runs.entries()) {
    const existing = plan.root && plan.root.job === member.job ? plan.root : null;
    const run =
      existing ??
      (await insertRun(trx, {
        id: ids.runId(),
        workspace: member.workspace,
        job: member.job,
        action: member.action,
        trigger: plan.runTrigger,
        actor: plan.actor,
        config_hash: member.configHash ?? null,
        lock_key: member.lockKey ?? lockKeyFor({ workspace: member.workspace, job: member.job }),
        priority: plan.priority ?? priorityFor(plan.runTrigger),
        // One millisecond apart, in plan order: the queue of a lock key is ordered by created_at.
        created_at: new Date(now.getTime() + index),
      }));
    if (!existing) runs.push(run);
    const dependsOn = member.dependsOn.filter((name) => plan.runs.some((other) => other.job === name));
    await trx
      .insertInto('job_chain_runs')
      .values({
        run_id: run.id,
        chain_id: ids.chainId,
        job: member.job,
        depends_on: JSON.stringify(dependsOn),
        waiting_on: JSON.stringify(dependsOn),
        retries: member.retries ?? 0,
      })
      .execute();
  }
  return runs;
}

/** Where a run stands in its chain, or null when it is in none. */
export interface ChainMembership {
  readonly chainId: string;
  readonly trigger: string;
  readonly sourceRunId: string | null;
  readonly dependsOn: readonly string[];
  readonly waitingOn: readonly string[];
}

export async function chainOf(db: Db, runId: string): Promise<ChainMembership | null> {
  return storeCall('chainOf', async () => {
    const row = await db
      .selectFrom('job_chain_runs as m')
      .innerJoin('job_chains as c', 'c.id', 'm.chain_id')
      .select(['m.chain_id', 'm.depends_on', 'm.waiting_on', 'c.trigger', 'c.source_run_id'])
      .where('m.run_id', '=', runId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      chainId: row.chain_id,
      trigger: row.trigger,
      sourceRunId: row.source_run_id,
      dependsOn: parseNames(row.depends_on),
      waitingOn: parseNames(row.waiting_on),
    };
  });
}

/**
 * Moves a chain on after one of its runs ended (in the caller's transaction, which finished the run):
 * dependents stop waiting for it when it succeeded, and are skipped (with their own dependents) when it
 * did not. Returns the runs it changed: skipped ones and ones now claimable. A run in no chain: none.
 */
export async function advanceChain(
  trx: Db,
  finished: Run,
  now: Date,
  options: { noRetry?: boolean } = {},
): Promise<Run[]> {
  if (!finished.job) return [];
  const membership = await trx
    .selectFrom('job_chain_runs')
    .select(['chain_id', 'job', 'retries'])
    .where('run_id', '=', finished.id)
    .executeTakeFirst();
  if (!membership) return [];
  // The scheduler retries this attempt (retry-policy.ts; a dead runner's script job excepted): the retry
  // takes its place in the chain (insertRetryInChain), and its dependents wait for that one.
  const retried =
    finished.state === 'failed' && finished.reason !== 'orphaned' && finished.attempt <= membership.retries;
  if (retried && !options.noRetry) return [];
  const members = await trx
    .selectFrom('job_chain_runs as m')
    .innerJoin('runs as r', 'r.id', 'm.run_id')
    .select(['m.run_id', 'm.job', 'm.waiting_on', 'r.state'])
    .where('m.chain_id', '=', membership.chain_id)
    .orderBy('r.created_at')
    .execute();
  const changed: Run[] = [];
  if (finished.state === 'succeeded') {
    for (const member of members) {
      const waiting = parseNames(member.waiting_on);
      if (member.state !== 'queued' || !waiting.includes(membership.job)) continue;
      const left = waiting.filter((name) => name !== membership.job);
      await trx
        .updateTable('job_chain_runs')
        .set({ waiting_on: JSON.stringify(left) })
        .where('run_id', '=', member.run_id)
        .execute();
      const ready = left.length === 0 ? await getRun(trx, member.run_id) : null;
      if (ready) changed.push(ready);
    }
    return changed;
  }
  // Skip every queued run that depends on the broken job, directly or through others.
  const reason = `skipped: job ${membership.job} ${finished.state.replace('_', ' ')} (run ${finished.id})`;
  const broken = new Set([membership.job]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const member of members) {
      if (member.state !== 'queued' || broken.has(member.job)) continue;
      const waiting = parseNames(member.waiting_on);
      if (!waiting.some((name) => broken.has(name))) continue;
      broken.add(member.job);
      grew = true;
      changed.push(await updateRunState(trx, member.run_id, 'skipped', now, { reason }));
    }
  }
  return changed;
}

function parseNames(json: string): string[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * Queues a retry of a run (retry-failed-run.ts) and, when the retried run belongs to a chain, puts the
 * retry in its place there, in one transaction: the chain then moves on with the retry's outcome.
 */
export async function insertRetry(db: Db, run: NewRun & { retry_of: string }): Promise<Run> {
  return storeCall('insertRetry', () =>
    inTransaction(db, async (trx) => {
      const retry = await insertRun(trx, run);
      const member = await trx
        .selectFrom('job_chain_runs')
        .selectAll()
        .where('run_id', '=', run.retry_of)
        .executeTakeFirst();
      if (member) {
        await trx
          .insertInto('job_chain_runs')
          .values({ ...member, run_id: retry.id, waiting_on: '[]' })
          .execute();
      }
      return retry;
    }),
  );
}

/**
 * The scheduler decided a failed run of a chain will not be retried after all (its job's `retries` changed,
 * its workspace left the configuration): its dependents, which waited for a retry, are skipped now.
 */
export async function settleWithoutRetry(db: Db, run: Run, now: Date): Promise<Run[]> {
  if (!run.job) return [];
  return storeCall('settleWithoutRetry', () =>
    inTransaction(db, (trx) => advanceChain(trx, run, now, { noRetry: true })),
  );
}
