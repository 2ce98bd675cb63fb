/**
 * Writes one firing decision: the ledger row and, for a fired firing, its run, in one transaction. If the
 * ledger already holds the firing (another replica, or this process before a restart) nothing is written
 * and no run is created.
 */
import { randomUUID } from 'node:crypto';
import { TideError } from '../errors/tide-error.ts';
import type { EventHub } from '../events/event-hub.ts';
import { insertChain, type ChainPlan } from '../run/job-chain.repo.ts';
import type { Run } from '../run/run.ts';
import { attachRun, recordFiring, type Firing as LedgerFiring } from '../schedule/firing.repo.ts';
import { inTransaction } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { insertRunChain, planRunChain, type ChainOptions } from '../workspace-dependency/dependency-queue.ts';
import { consumeSkipNext } from '../workspace/override.repo.ts';
import type { FiringDecision } from './firing-decisions.ts';

export interface ApplyContext {
  readonly db: Db;
  readonly hub: EventHub;
  readonly now: Date;
  /** `_standalone_` for standalone jobs. */
  readonly workspace: string;
  readonly configHash: string | null;
  /** Delay before the run may start (jitter). */
  readonly notBefore: Date | null;
  /** The dependency graph and its rules (decision 022). */
  readonly dependencies: ChainOptions;
  /**
   * A fired job's chain (the job and the jobs that depend on it, docs/jobs.md): queued with the firing,
   * the fired run as its first member. Null or a chain of one: no chain.
   */
  readonly chainOf?: (run: Run) => ChainPlan | null;
  /**
   * The run's lock key when it is not lockKeyFor's: a standalone job in a workspace's context shares that
   * workspace's, so it never runs while the workspace is being deployed or destroyed.
   */
  readonly lockKey?: string;
  /** Written in the transaction that records the firing, whatever its outcome (a TTL's end). */
  readonly onRecorded?: (trx: Db) => Promise<void>;
  /**
   * Announces a firing recorded `missed` or `skipped` (notifications, src/notification/) in the transaction
   * that records it. Default: none.
   */
  readonly announceFiring?: (trx: Db, ledger: LedgerFiring) => Promise<unknown>;
}

/** Returns the created run, or null when nothing ran (skipped, missed, superseded, or already recorded). */
export async function applyDecision(decision: FiringDecision, ctx: ApplyContext): Promise<Run | null> {
  const { firing } = decision;
  const base = {
    workspace: ctx.workspace,
    schedule_key: firing.schedule_key,
    action: firing.action,
    mode: firing.mode ?? null,
    scheduled_at: firing.scheduled_at,
    recorded_at: ctx.now,
  };
  try {
    const result = await inTransaction(ctx.db, async (trx) => {
      await ctx.onRecorded?.(trx);
      if (decision.outcome !== 'fired') {
        const ledger = await recordFiring(trx, {
          ...base,
          outcome: decision.outcome,
          reason: decision.reason,
        });
        // The claim on the skip_next is the same transaction as the ledger row: a replica that recorded
        // this firing first makes recordFiring fail above; another firing that used it up first makes this
        // fail, and the pass is decided again from fresh state.
        if (decision.consumes && !(await consumeSkipNext(trx, decision.consumes, ledger.id, ctx.now))) {
          throw new TideError('conflict', `override ${decision.consumes} was used or removed meanwhile`);
        }
        await ctx.announceFiring?.(trx, ledger);
        return { ledger, run: null, queued: [], chained: [] };
      }
      const target = {
        id: randomUUID(),
        workspace: ctx.workspace,
        job: firing.job ?? null,
        action: firing.action === 'job' ? 'job' : firing.action,
        mode: firing.mode ?? null,
        trigger: decision.trigger,
        actor: 'scheduler',
        config_hash: ctx.configHash,
        not_before: ctx.notBefore,
        created_at: ctx.now,
        ...(ctx.lockKey ? { lock_key: ctx.lockKey } : {}),
      } as const;
      // A deploy brings up its dependencies first, a destroy takes its dependents down first (decision 022).
      const plan = await planRunChain(trx, target, ctx.dependencies);
      if (plan.blocked) {
        const ledger = await recordFiring(trx, { ...base, outcome: 'skipped', reason: plan.blocked.message });
        await ctx.announceFiring?.(trx, ledger);
        return {
          ledger,
          run: null,
          queued: [],
          chained: [],
        };
      }
      const ledger = await recordFiring(trx, {
        ...base,
        outcome: 'fired',
        ...(decision.reason ? { reason: decision.reason } : {}),
      });
      const { run, queued } = await insertRunChain(
        trx,
        { ...target, firing_id: ledger.id },
        plan.chain,
        ctx.dependencies,
      );
      await attachRun(trx, ledger.id, run.id);
      // A fired job's dependents are queued with it, one chain (docs/jobs.md).
      const chain = run.job ? ctx.chainOf?.(run) : null;
      const chained =
        chain && chain.runs.length > 1
          ? await insertChain(
              trx,
              { ...chain, root: run },
              { chainId: randomUUID(), runId: randomUUID },
              ctx.now,
            )
          : [];
      return { ledger: { ...ledger, run_id: run.id }, run, queued, chained };
    });
    announce(ctx.hub, result.ledger);
    for (const run of result.queued) ctx.hub.emit('run.updated', run);
    if (result.run) ctx.hub.emit('run.updated', result.run);
    for (const other of result.chained) ctx.hub.emit('run.updated', other);
    return result.run;
  } catch (error) {
    if (error instanceof TideError && error.code === 'firing_exists') return null;
    throw error;
  }
}

function announce(hub: EventHub, ledger: LedgerFiring): void {
  hub.emit('firing.recorded', {
    workspace: ledger.workspace,
    schedule_key: ledger.schedule_key,
    action: ledger.action,
    scheduled_at: ledger.scheduled_at,
    outcome: ledger.outcome,
    reason: ledger.reason,
    run_id: ledger.run_id,
  });
}
