/**
 * Writes one firing decision: the ledger row and, for a fired firing, its run, in one transaction. If the
 * ledger already holds the firing (another replica, or this process before a restart) nothing is written
 * and no run is created.
 */
import { randomUUID } from 'node:crypto';
import { TideError } from '../errors/tide-error.ts';
import type { EventHub } from '../events/event-hub.ts';
import type { Run } from '../run/run.ts';
import { attachRun, recordFiring, type Firing as LedgerFiring } from '../schedule/firing.repo.ts';
import { inTransaction } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { insertRunChain, planRunChain, type ChainOptions } from '../workspace-dependency/dependency-queue.ts';
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
      if (decision.outcome !== 'fired') {
        return {
          ledger: await recordFiring(trx, { ...base, outcome: decision.outcome, reason: decision.reason }),
          run: null,
          queued: [],
        };
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
      } as const;
      // A deploy brings up its dependencies first, a destroy takes its dependents down first (decision 022).
      const plan = await planRunChain(trx, target, ctx.dependencies);
      if (plan.blocked) {
        return {
          ledger: await recordFiring(trx, { ...base, outcome: 'skipped', reason: plan.blocked.message }),
          run: null,
          queued: [],
        };
      }
      const ledger = await recordFiring(trx, { ...base, outcome: 'fired' });
      const { run, queued } = await insertRunChain(
        trx,
        { ...target, firing_id: ledger.id },
        plan.chain,
        ctx.dependencies,
      );
      await attachRun(trx, ledger.id, run.id);
      return { ledger: { ...ledger, run_id: run.id }, run, queued };
    });
    announce(ctx.hub, result.ledger);
    for (const run of result.queued) ctx.hub.emit('run.updated', run);
    if (result.run) ctx.hub.emit('run.updated', result.run);
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
