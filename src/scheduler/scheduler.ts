/**
 * The scheduler loop. It sleeps until the next due instant of any unit (no per-minute scan), then for each
 * due unit: decides the firings in (checkpoint, now] (pure, firing-decisions.ts), writes them through the
 * ledger (apply-decision.ts) and advances the checkpoint. On an interval (default 60 s), at start and
 * after every run it also heals uptime workspaces (window-reconcile.ts), remediates drift
 * (src/drift/drift-remediation.ts) and retries failed runs (retry-policy.ts). It also fires the TTLs that
 * are due (ttl-firings.ts) and wakes at the earliest TTL end. Time comes from the injected clock; tests
 * call tick() after moving it.
 *
 * It is a supervised subsystem: a pass that fails (the database went away) stops it, and the supervisor
 * starts it again after a backoff, rebuilt from the database.
 */
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { EventHub } from '../events/event-hub.ts';
import type { Logger } from '../log/logger.ts';
import type { RunService } from '../run/run.service.ts';
import { isDone } from '../run/run-state.ts';
import type { Run } from '../run/run.ts';
import type { Db } from '../store/schema.ts';
import type { Subsystem } from '../supervisor/subsystem.ts';
import { aborted, MAX_DELAY_MS, realTimers, type Timers } from '../supervisor/timers.ts';
import type { Clock } from '../time/clock.ts';
import { environmentLookup } from '../environment/environment-protection.ts';
import { chainOptions } from '../workspace-dependency/dependency-config.ts';
import { applyDecision, type ApplyContext } from './apply-decision.ts';
import { rootedChain } from '../job/job-plan.ts';
import type { ChainPlan } from '../run/job-chain.repo.ts';
import { decideFirings, type FiringDecision } from './firing-decisions.ts';
import { observeUnit } from './observe.ts';
import { retryFailedRun, type RetryContext } from './retry-failed-run.ts';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  advanceCheckpoint,
  advanceCheckpoints,
  failedRunsWithoutRetry,
  latestStateFiring,
  readCheckpoints,
} from './scheduler.repo.ts';
import type { Firing } from '../schedule/firings.ts';
import { handbackAction, nextOverrideEnd, type Override } from '../workspace/override.ts';
import { overridesEndingAfter } from '../workspace/override.repo.ts';
import { scheduleUnitSteps, type ScheduleUnit } from './schedule-units.ts';
import { eachStep, runInSlices, type SliceOptions, type Steps } from '../time/slices.ts';
import { reconcileUnit, remediateDrift, type ReconcileContext } from './reconcile-unit.ts';
import { fireDueTtls } from './ttl-firings.ts';
import { heldReason, preDestroyChecker, type PreDestroyChecker } from './pre-destroy-check.ts';
import { runEnvironment } from '../engine/run-environment.ts';

export interface SchedulerDeps {
  readonly db: Db;
  readonly hub: EventHub;
  readonly clock: Clock;
  readonly config: () => EffectiveConfig;
  readonly runs: Pick<RunService, 'enqueue' | 'cancel'>;
  readonly logger: Logger;
  readonly random?: () => number;
  /** How often windows are reconciled and failed runs swept for retries (default 60 s). */
  readonly reconcileIntervalMs?: number;
  /** Default: the real setTimeout; tests pass a fake that never fires and call tick() themselves. */
  readonly timers?: Timers;
  /** How the rebuild after a reload gives the event loop its turns (default: src/time/slices.ts). */
  readonly slices?: SliceOptions;
  /** Asks a workspace's pre_destroy_check. Default: in the allowlisted environment of this process. */
  readonly preDestroyCheck?: PreDestroyChecker;
  /** Notifications of firings recorded missed or skipped (apply-decision.ts). Default: none. */
  readonly announceFiring?: ApplyContext['announceFiring'];
}

const retrySweepWindowMs = 60 * 60_000;
/** Units evaluated between two returns to the event loop, so a pass over 10,000 never freezes the API. */
export const UNITS_PER_SLICE = 100;
/** Checkpoints of units with nothing due, written together (one statement per batch). */
export const CHECKPOINT_BATCH = 500;
/** Overrides that ended this long before a (re)start still hand back (idempotent through the ledger). */
const handbackLookBackMs = 24 * 60 * 60_000;

export class Scheduler implements Subsystem {
  readonly name = 'scheduler';
  readonly #deps: SchedulerDeps;
  readonly #timers: Timers;
  readonly #random: () => number;
  readonly #preDestroyCheck: PreDestroyChecker;
  #units = new Map<string, UnitState>();
  #calendarsFingerprint: string | null = null;
  #checkpoints = new Map<string, Date>();
  /** When the earliest running TTL ends; the scheduler wakes then. */
  #ttlDue: Date | null = null;
  #startedAt: Date | null = null;
  #lastReconcile = 0;
  /** Overrides that ended up to here have handed back; the next end to wake at (decision 030). */
  #overridesCheckedUntil: Date | null = null;
  #nextOverrideEnd: Date | null = null;
  #timer: unknown = null;
  #queue: Promise<void> = Promise.resolve();
  #stopped = true;
  /** The failure that stopped this start, if any; `#failed` wakes start() when it happens. */
  #failure: { readonly error: unknown } | null = null;
  #failed: () => void = () => undefined;
  readonly #onRun = (run: Run) => {
    if (isDone(run.state)) void this.#serialize(() => this.#afterRun(run));
  };

  constructor(deps: SchedulerDeps) {
    this.#deps = deps;
    this.#timers = deps.timers ?? realTimers;
    this.#random = deps.random ?? Math.random;
    this.#preDestroyCheck = deps.preDestroyCheck ?? preDestroyChecker(runEnvironment(process.env));
  }

  /**
   * Rebuilds from the database, catches up on what was missed while Tide was down, calls `up()`, then
   * runs until `signal` aborts. Rejects with the first pass that fails; started again, the ledger's unique
   * key keeps the retried pass from firing anything twice. A restart is not downtime: the firings it
   * delayed fire late (within starting_deadline), and catch_up applies only to time before the first start.
   */
  async start(signal: AbortSignal, up: () => void): Promise<void> {
    this.#failure = null;
    const failed = new Promise<void>((resolve) => (this.#failed = resolve));
    this.#stopped = false;
    this.#startedAt ??= this.#deps.clock.now();
    try {
      this.#checkpoints = await readCheckpoints(this.#deps.db);
      // A (re)start evaluates every unit, whatever an earlier start had computed.
      this.#calendarsFingerprint = null;
      await this.#rebuildUnits();
      this.#deps.hub.on('run.updated', this.#onRun);
      await this.tick();
      this.#throwIfFailed();
      up();
      await Promise.race([failed, aborted(signal)]);
      this.#throwIfFailed();
    } finally {
      await this.#halt();
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }

  async #halt(): Promise<void> {
    this.#stopped = true;
    this.#deps.hub.off('run.updated', this.#onRun);
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
    await this.#queue;
  }

  /**
   * The configuration changed: units are rebuilt, and those whose definition changed are evaluated at
   * once. In the pass queue, so a pass that yields never sees its units replaced halfway; the rebuild
   * itself yields (10,000 units take longer than a slice) and replaces the units at once when done.
   */
  configChanged(): Promise<void> {
    return this.#serialize(async () => {
      await this.#rebuildUnits();
      await this.#tick();
    });
  }

  /** Processes everything due at the clock's now, then sleeps until the next due instant. */
  tick(): Promise<void> {
    return this.#serialize(() => this.#tick());
  }

  /** One pass at a time. A failed pass stops the scheduler (no timer is armed again) and ends start(). */
  #serialize(work: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(work).catch((error: unknown) => {
      this.#failure ??= { error };
      this.#stopped = true;
      this.#failed();
    });
    this.#queue = next;
    return next;
  }

  async #rebuildUnits(): Promise<void> {
    const config = this.#deps.config();
    const calendars = fingerprint(config.snapshot.calendars);
    const sameCalendars = calendars === this.#calendarsFingerprint;
    this.#units = await runInSlices(rebuildSteps(config, this.#units, sameCalendars), this.#deps.slices);
    this.#calendarsFingerprint = calendars;
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    const now = this.#deps.clock.now();
    const quiet: string[] = [];
    let evaluated = 0;
    for (const state of this.#units.values()) {
      if (state.nextDue !== undefined && state.nextDue > now.getTime()) continue;
      const fired = await this.#process(state, now, quiet);
      if (quiet.length >= CHECKPOINT_BATCH) await this.#advanceQuiet(quiet, now);
      // A run just queued is claimed at once, but its preparation (file I/O) and spawn need turns of the
      // event loop; on SQLite a firing's transactions never yield, so without a turn per firing a burst
      // of 500 due at one instant would start its first engine only after the whole pass (decision 045).
      if (++evaluated % UNITS_PER_SLICE === 0 || fired) await nextTurn();
    }
    await this.#advanceQuiet(quiet, now);
    await this.#handBack(now);
    if (now.getTime() - this.#lastReconcile >= (this.#deps.reconcileIntervalMs ?? 60_000)) {
      this.#lastReconcile = now.getTime();
      await this.#reconcileAll(now);
    }
    await this.#fireTtls(now);
    this.#arm(now);
  }

  /**
   * A unit that fired advances its checkpoint at once; one with nothing due joins `quiet`, written in
   * batches: losing such a write (a crash) only makes the next start re-evaluate an empty interval.
   */
  async #process(state: UnitState, now: Date, quiet: string[]): Promise<boolean> {
    const { unit } = state;
    const from = this.#checkpoints.get(unit.key) ?? now;
    let fired = false;
    if (from < now) {
      const due = unit.firings(from, now);
      // A disabled unit's firings are recorded as skipped (firing-decisions.ts), so enabling it later
      // does not count the time it was off as missed.
      if (due.length > 0) {
        await this.#fire(unit, due, now);
        await advanceCheckpoint(this.#deps.db, unit.key, now);
        fired = true;
      } else {
        quiet.push(unit.key);
      }
      this.#checkpoints.set(unit.key, now);
    } else if (!this.#checkpoints.has(unit.key)) {
      quiet.push(unit.key);
      this.#checkpoints.set(unit.key, now);
    }
    state.nextDue = unit.next(now)?.getTime() ?? Infinity;
    return fired;
  }

  async #advanceQuiet(quiet: string[], now: Date): Promise<void> {
    await advanceCheckpoints(this.#deps.db, quiet.splice(0), now);
  }

  async #fire(unit: ScheduleUnit, due: readonly Firing[], now: Date, reason?: string): Promise<void> {
    const { db, hub, runs, logger } = this.#deps;
    const observed = await observeUnit(db, unit, this.#deps.config().snapshot);
    const overrides = unit.workspace ? await overridesEndingAfter(db, due[0]!.scheduled_at, unit.scope) : [];
    const decided = decideFirings({
      definition: unit.policyHolder,
      enabled: unit.enabled,
      observed,
      due,
      now,
      startedAt: this.#startedAt ?? now,
      overrides,
    }).map((decision) => (decision.outcome === 'fired' && reason ? { ...decision, reason } : decision));
    const decisions = await this.#holdDestroys(unit, decided);
    const jitterMs = unit.policyHolder.policy.jitterMs;
    // A destroy takes its dependents down first, never one an environment points at.
    const heldBy = decisions.some((d) => d.outcome === 'fired' && d.firing.action === 'destroy')
      ? await environmentLookup(db, this.#deps.config().snapshot)
      : undefined;
    for (const decision of decisions) {
      if (decision.outcome === 'fired' && decision.replace && observed.activeRun) {
        await runs
          .cancel(observed.activeRun.id, 'scheduler (concurrency policy replace)')
          .catch(() => undefined);
      }
      const notBefore = jitterMs > 0 ? new Date(now.getTime() + Math.floor(this.#random() * jitterMs)) : null;
      const run = await applyDecision(decision, {
        db,
        hub,
        now,
        workspace: unit.scope,
        configHash: unit.workspace?.contentHash ?? null,
        notBefore,
        dependencies: chainOptions(this.#deps.config(), {
          destroyDependents: true,
          ...(heldBy ? { heldBy } : {}),
        }),
        chainOf: (run) => this.#jobChain(unit, run),
        ...(unit.job?.workspace ? { lockKey: unit.job.workspace } : {}),
        ...(this.#deps.announceFiring && { announceFiring: this.#deps.announceFiring }),
      });
      logger.info(
        {
          workspace: unit.scope,
          schedule_key: decision.firing.schedule_key,
          scheduled_at: decision.firing.scheduled_at.toISOString(),
          outcome: decision.outcome,
          run_id: run?.id,
        },
        'firing',
      );
    }
  }

  /** A destroy about to fire asks the workspace's pre_destroy_check; a failing one is recorded skipped. */
  async #holdDestroys(unit: ScheduleUnit, decisions: FiringDecision[]): Promise<FiringDecision[]> {
    const check = unit.workspace?.preDestroyCheck;
    if (!check) return decisions;
    const held: FiringDecision[] = [];
    for (const decision of decisions) {
      if (decision.outcome !== 'fired' || decision.firing.action !== 'destroy') {
        held.push(decision);
        continue;
      }
      const result = await this.#preDestroyCheck(check);
      held.push(
        result.ok ? decision : { firing: decision.firing, outcome: 'skipped', reason: heldReason(result) },
      );
    }
    return held;
  }

  /**
   * Overrides that ended since the last pass hand the workspace back to its schedule at once: an uptime
   * workspace is reconciled, an edge workspace gets the deploy/destroy the override skipped (override.ts).
   */
  async #handBack(now: Date): Promise<void> {
    const since = this.#overridesCheckedUntil ?? new Date(now.getTime() - handbackLookBackMs);
    const overrides = await overridesEndingAfter(this.#deps.db, since);
    for (const ended of overrides.filter((override) => override.ends_at <= now)) {
      const unit = this.#units.get(ended.workspace)?.unit;
      if (!unit?.workspace) continue;
      if (unit.workspace.uptime.length > 0) await this.#heal(unit, now);
      else await this.#handBackEdge(unit, ended, now);
    }
    this.#overridesCheckedUntil = now;
    this.#nextOverrideEnd = nextOverrideEnd(overrides, now);
  }

  async #handBackEdge(unit: ScheduleUnit, ended: Override, now: Date): Promise<void> {
    const handback = handbackAction(ended, await latestStateFiring(this.#deps.db, unit.scope, ended.ends_at));
    if (!handback) return;
    const firing: Firing = {
      // Keyed by the override: the ledger makes the handback happen once across replicas and restarts.
      schedule_key: `override:${ended.id}`,
      action: handback.action,
      ...(handback.mode === null ? {} : { mode: handback.mode }),
      scheduled_at: ended.ends_at,
    };
    await this.#fire(unit, [firing], now, handback.reason);
  }

  /** A fired job with dependents starts their chain (docs/jobs.md). */
  #jobChain(unit: ScheduleUnit, run: Run): ChainPlan | null {
    const job = unit.job ?? unit.workspace?.jobs.find((each) => each.name === run.job);
    if (!job) return null;
    return rootedChain(this.#deps.config(), job, {
      trigger: 'schedule',
      runTrigger: run.trigger,
      actor: run.actor,
    });
  }

  /** What reconcile and retry need: the scheduler's dependencies at one instant. */
  #context(now: Date): ReconcileContext & RetryContext {
    const { db, hub, runs, config, logger } = this.#deps;
    return {
      db,
      hub,
      runs,
      config,
      logger,
      now,
      random: this.#random,
      preDestroyCheck: this.#preDestroyCheck,
    };
  }

  async #heal(unit: ScheduleUnit | undefined, now: Date): Promise<void> {
    if (unit?.workspace?.uptime.length) await reconcileUnit(this.#context(now), unit);
    if (unit?.workspace?.driftRemediate) await remediateDrift(this.#context(now), unit);
  }

  async #reconcileAll(now: Date): Promise<void> {
    for (const { unit } of this.#units.values()) await this.#heal(unit, now);
    for (const run of await failedRunsWithoutRetry(
      this.#deps.db,
      new Date(now.getTime() - retrySweepWindowMs),
    )) {
      await retryFailedRun(run, this.#context(now));
    }
  }

  async #fireTtls(now: Date): Promise<void> {
    this.#ttlDue = await fireDueTtls(this.#context(now), (name) => this.#units.get(name)?.unit);
  }

  async #afterRun(run: Run): Promise<void> {
    if (this.#stopped) return;
    const now = this.#deps.clock.now();
    if (run.state === 'failed') await retryFailedRun(run, this.#context(now));
    await this.#heal(this.#units.get(run.workspace)?.unit, now);
    // A deploy may have set a TTL, and a TTL held back by this run may be due.
    await this.#fireTtls(now);
    this.#arm(now);
  }

  #arm(now: Date): void {
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    let next = this.#lastReconcile + (this.#deps.reconcileIntervalMs ?? 60_000);
    if (this.#ttlDue && this.#ttlDue.getTime() < next) next = this.#ttlDue.getTime();
    for (const { nextDue } of this.#units.values())
      if (nextDue !== undefined && nextDue < next) next = nextDue;
    if (this.#nextOverrideEnd && this.#nextOverrideEnd.getTime() < next)
      next = this.#nextOverrideEnd.getTime();
    const delay = Math.min(Math.max(next - now.getTime(), 0), MAX_DELAY_MS);
    this.#timer = this.#timers.set(() => void this.tick(), delay);
  }
}

/** What the scheduler keeps of a unit: one record per unit, so one Map for all units. */
interface UnitState {
  readonly unit: ScheduleUnit;
  /** What the unit's schedule was built from (unitFingerprint), to tell which units a reload changed. */
  readonly fingerprint: string;
  /**
   * When the unit is next due (ms since the epoch; Infinity: never), or undefined until a pass evaluates
   * it: a new unit, or one whose schedule a reload changed.
   */
  nextDue: number | undefined;
}

/**
 * The states of the configuration's units. A unit keeps its next due instant while its fingerprint is
 * unchanged, unless the calendars changed: a calendar can move any workspace's firings.
 */
function* rebuildSteps(
  config: EffectiveConfig,
  previous: ReadonlyMap<string, UnitState>,
  sameCalendars: boolean,
): Steps<Map<string, UnitState>> {
  const states = new Map<string, UnitState>();
  const reusable = sameCalendars ? (key: string) => previous.get(key)?.unit : undefined;
  yield* eachStep(yield* scheduleUnitSteps(config, reusable), (unit) => {
    const old = previous.get(unit.key);
    const print = unitFingerprint(unit);
    const kept = sameCalendars && old?.fingerprint === print;
    // The very same unit, still due when it was: its state stays as it is (no garbage for a reload).
    if (kept && old.unit === unit) states.set(unit.key, old);
    else states.set(unit.key, { unit, fingerprint: print, nextDue: kept ? old.nextDue : undefined });
  });
  return states;
}

/**
 * What a unit's firings depend on besides the calendars: the workspace's files (their hash, held by the
 * definition already), or the job definition. Compared only with the same key's, so the two never meet.
 */
function unitFingerprint(unit: ScheduleUnit): string {
  return unit.workspace ? unit.workspace.contentHash : fingerprint(unit.job);
}

function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v instanceof Set ? [...v] : v instanceof Map ? [...v.entries()] : v,
  );
}
