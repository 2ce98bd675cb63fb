/**
 * TTL destroys (src/workspace/ttl.ts, docs/ttl.md): each running TTL that is due becomes a ledger firing
 * `ttl` at its (possibly postponed) end, recorded with the TTL's removal in one transaction; a fired one
 * queues a destroy with trigger `ttl`. The ledger's unique key makes it once across replicas and restarts.
 */
import { environmentLookup } from '../environment/environment-protection.ts';
import { chainOptions } from '../workspace-dependency/dependency-config.ts';
import { decideTtl } from '../workspace/ttl.ts';
import { endTtl, listTtls } from '../workspace/ttl.repo.ts';
import { applyDecision } from './apply-decision.ts';
import type { FiringDecision } from './firing-decisions.ts';
import { observeUnit } from './observe.ts';
import { heldReason } from './pre-destroy-check.ts';
import { activeKeepUpUntil } from '../workspace/override.ts';
import { overridesEndingAfter } from '../workspace/override.repo.ts';
import { heldKey, type ReconcileContext } from './reconcile-unit.ts';
import type { ScheduleUnit } from './schedule-units.ts';

export const TTL_SCHEDULE_KEY = 'ttl';

/**
 * Fires the TTLs due at `now`; returns the earliest instant a TTL not yet due ends (the scheduler wakes
 * then), or null. A TTL whose workspace a run holds is left for the pass after that run.
 */
export async function fireDueTtls(
  ctx: ReconcileContext,
  unitOf: (workspace: string) => ScheduleUnit | undefined,
): Promise<Date | null> {
  const { db, now } = ctx;
  let next: Date | null = null;
  for (const ttl of await listTtls(db)) {
    const unit = unitOf(ttl.workspace);
    // A workspace no longer configured keeps its TTL until it is again (or destroyed by hand).
    if (!unit?.workspace) continue;
    const snapshot = ctx.config().snapshot;
    const observed = await observeUnit(db, unit, snapshot);
    // Extending a TTL is a keep_up_until override: the destroy waits for its end (docs/ttl.md).
    const override = activeKeepUpUntil(await overridesEndingAfter(db, now, ttl.workspace), now);
    const decision = decideTtl({
      destroyAt: ttl.destroyAt,
      ...(override ? { keepUpUntil: override } : {}),
      observed: {
        status: observed.status,
        activeRunId: observed.activeRun?.id ?? null,
        enabled: observed.enabledOverride ?? unit.enabled,
        protect: unit.workspace.protect,
        environment: observed.environment ?? null,
      },
      now,
    });
    if (decision.outcome === 'not_due') {
      if (!next || decision.at < next) next = decision.at;
      continue;
    }
    if (decision.outcome === 'wait') continue;
    const firing = { schedule_key: TTL_SCHEDULE_KEY, action: 'destroy' as const, scheduled_at: decision.at };
    const check = decision.outcome === 'fired' ? unit.workspace.preDestroyCheck : undefined;
    const result = check && ctx.preDestroyCheck ? await ctx.preDestroyCheck(check) : null;
    if (result && !result.ok) {
      // Recorded once, the TTL kept: the next pass asks again.
      await applyDecision(
        {
          firing: { ...firing, schedule_key: heldKey(TTL_SCHEDULE_KEY) },
          outcome: 'skipped',
          reason: heldReason(result),
        },
        {
          db,
          hub: ctx.hub,
          now,
          workspace: unit.scope,
          configHash: unit.workspace.contentHash,
          notBefore: null,
          dependencies: chainOptions(ctx.config(), { destroyDependents: true }),
        },
      );
      ctx.logger.info({ workspace: unit.scope, reason: heldReason(result) }, 'TTL destroy held back');
      continue;
    }
    const firingDecision: FiringDecision =
      decision.outcome === 'fired'
        ? { firing, outcome: 'fired', trigger: 'ttl', replace: false }
        : { firing, outcome: 'skipped', reason: decision.reason };
    const run = await applyDecision(firingDecision, {
      db,
      hub: ctx.hub,
      now,
      workspace: unit.scope,
      configHash: unit.workspace.contentHash,
      notBefore: null,
      dependencies: chainOptions(ctx.config(), {
        destroyDependents: true,
        heldBy: await environmentLookup(db, snapshot),
      }),
      onRecorded: (trx) => endTtl(trx, ttl.workspace, ttl.destroyAt),
    });
    ctx.logger.info(
      {
        workspace: unit.scope,
        destroy_at: decision.at.toISOString(),
        outcome: decision.outcome,
        ...(decision.outcome === 'skipped' ? { reason: decision.reason } : {}),
        run_id: run?.id,
      },
      'ttl',
    );
  }
  return next;
}
