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
import { DEFAULT_MODE } from '../config/config-model.ts';
import { decideRemediation, REMEDIATION_SCHEDULE_KEY } from '../drift/drift-remediation.ts';
import { desiredStateAt } from '../schedule/desired-state.ts';
import { heldReason, type PreDestroyChecker } from './pre-destroy-check.ts';
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
  /** Runs a workspace's pre_destroy_check before a scheduled, window or TTL destroy fires. */
  readonly preDestroyCheck?: PreDestroyChecker;
}

/** The key a held destroy is recorded under: once per destroy it holds, so the check can be asked again. */
export const heldKey = (scheduleKey: string) => `${scheduleKey}:pre_destroy_check`;

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
  const check = action.action === 'destroy' ? definition.preDestroyCheck : undefined;
  const result = check && ctx.preDestroyCheck ? await ctx.preDestroyCheck(check) : null;
  if (result && !result.ok) {
    // Recorded once; the heal itself stays open, so the next reconcile asks again.
    await applyDecision(
      {
        firing: { schedule_key: heldKey('reconcile:uptime'), action: 'destroy', scheduled_at: action.at },
        outcome: 'skipped',
        reason: heldReason(result),
      },
      {
        db: ctx.db,
        hub: ctx.hub,
        now: ctx.now,
        workspace: unit.scope,
        configHash: definition.contentHash,
        notBefore: null,
        dependencies: chainOptions(ctx.config(), { destroyDependents: true }),
      },
    );
    ctx.logger.info({ workspace: unit.scope, reason: heldReason(result) }, 'destroy held back');
    return;
  }
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

/**
 * Deploys a drifted workspace with `drift.remediate: true` when its rule allows (src/drift/drift-remediation.ts);
 * the deploy is a ledger firing keyed `drift:remediate` at the instant the drift began, so it happens once.
 */
export async function remediateDrift(ctx: ReconcileContext, unit: ScheduleUnit): Promise<void> {
  const definition = unit.workspace;
  if (!definition?.driftRemediate) return;
  const observed = await observeUnit(ctx.db, unit);
  const remediation = decideRemediation({
    remediate: definition.driftRemediate,
    enabled: observed.enabledOverride ?? definition.enabled,
    hasUptime: definition.uptime.length > 0,
    desired: desiredStateAt(definition, ctx.config().snapshot.calendars, ctx.now),
    status: observed.status,
    mode: observed.mode,
    activeRun: observed.activeRun,
    drifted: observed.drifted ?? false,
    driftSince: observed.driftSince ?? null,
  });
  if (!remediation) return;
  const mode = remediation.mode === DEFAULT_MODE ? null : remediation.mode;
  const run = await applyDecision(
    {
      firing: {
        schedule_key: REMEDIATION_SCHEDULE_KEY,
        action: 'deploy',
        ...(mode === null ? {} : { mode }),
        scheduled_at: remediation.at,
      },
      outcome: 'fired',
      trigger: 'schedule',
      replace: false,
      reason: remediation.reason,
    },
    {
      db: ctx.db,
      hub: ctx.hub,
      now: ctx.now,
      workspace: unit.scope,
      configHash: definition.contentHash,
      notBefore: null,
      dependencies: chainOptions(ctx.config(), { destroyDependents: true }),
    },
  );
  if (run) ctx.logger.info({ workspace: unit.scope, run_id: run.id }, 'drift remediation');
}
