import type { EffectiveConfig } from '../config/effective-config.ts';
import type { EventHub } from '../events/event-hub.ts';
import type { Logger } from '../log/logger.ts';
import type { RunService } from '../run/run.service.ts';
import type { Db } from '../store/schema.ts';
import { environmentLookup } from '../environment/environment-protection.ts';
import { chainOptions } from '../workspace-dependency/dependency-config.ts';
import { applyDecision } from './apply-decision.ts';
import { observeUnit } from './observe.ts';
import type { ScheduleUnit } from './schedule-units.ts';
import { reconcileWindow } from './window-reconcile.ts';
import { overridesEndingAfter } from '../workspace/override.repo.ts';

/** How far back ended overrides are read: as far as a desired period's start is looked up (desired-state.ts). */
const overrideLookBackMs = 32 * 86_400_000;

export interface ReconcileContext {
  readonly db: Db;
  readonly hub: EventHub;
  readonly runs: Pick<RunService, 'enqueue'>;
  readonly config: () => EffectiveConfig;
  readonly logger: Logger;
  readonly now: Date;
}

/** Heals one uptime workspace; the heal is a ledger firing keyed `reconcile:<window>` at the period start. */
export async function reconcileUnit(ctx: ReconcileContext, unit: ScheduleUnit): Promise<void> {
  const definition = unit.workspace;
  if (!definition) return;
  const observed = await observeUnit(ctx.db, unit, ctx.config().snapshot);
  const overrides = await overridesEndingAfter(
    ctx.db,
    new Date(ctx.now.getTime() - overrideLookBackMs),
    unit.scope,
  );
  const action = reconcileWindow(definition, ctx.config().snapshot.calendars, observed, ctx.now, overrides);
  if (!action) return;
  const run = await applyDecision(
    {
      firing: {
        schedule_key: 'reconcile:uptime',
        action: action.action,
        ...(action.mode === undefined ? {} : { mode: action.mode }),
        scheduled_at: action.at,
      },
      outcome: 'fired',
      trigger: 'window',
      replace: false,
      reason: action.reason,
    },
    {
      db: ctx.db,
      hub: ctx.hub,
      now: ctx.now,
      workspace: unit.scope,
      configHash: definition.contentHash,
      notBefore: null,
      dependencies: chainOptions(ctx.config(), {
        destroyDependents: true,
        ...(action.action === 'destroy'
          ? { heldBy: await environmentLookup(ctx.db, ctx.config().snapshot) }
          : {}),
      }),
    },
  );
  if (run)
    ctx.logger.info(
      { workspace: unit.scope, action: action.action, reason: action.reason, run_id: run.id },
      'reconcile',
    );
}
