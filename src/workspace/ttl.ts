/**
 * A workspace's TTL (docs/ttl.md, decision 031): a manual deploy that succeeds while the schedules do not
 * want the workspace up is destroyed `ttl` later (trigger `ttl`). Pure: the caller reads the facts (the
 * finished run, what the schedules want at that instant, the active keep_up_until override) and writes
 * what these functions return.
 */

/** What a finished run tells about TTLs. */
export interface TtlRunFacts {
  readonly action: string;
  readonly job: string | null;
  readonly trigger: string;
  readonly state: string;
  /** The TTL the request asked for; null: the workspace's `ttl`. */
  readonly ttl_seconds: number | null;
}

export type TtlEffect =
  { readonly kind: 'set'; readonly destroyAt: Date } | { readonly kind: 'clear' } | null;

/**
 * What a finished run does to its workspace's TTL:
 * - a manual (CLI, API, dashboard) deploy that succeeded outside the schedules' up period sets it to
 *   success time + its own `ttl` or, without one, the workspace's; inside an up period it clears it;
 * - a destroy that succeeded (whatever its trigger) and a scheduled or window deploy (the schedule takes
 *   the workspace over) clear it;
 * - anything else (a failed run, a plan, a job, a dependency's or a retry's deploy) leaves it as it is.
 */
export function ttlEffectOfRun(
  run: TtlRunFacts,
  facts: {
    /** The workspace's configured `ttl`. */
    readonly workspaceTtlMs: number | undefined;
    /** True when the schedules want the workspace up at `now` (an open window, a deploy edge last). */
    readonly desiredUp: boolean;
    readonly now: Date;
  },
): TtlEffect {
  if (run.state !== 'succeeded' || run.job !== null) return null;
  if (run.action === 'destroy') return { kind: 'clear' };
  if (run.action !== 'deploy') return null;
  if (run.trigger === 'schedule' || run.trigger === 'window') return { kind: 'clear' };
  if (run.trigger !== 'manual' && run.trigger !== 'api') return null;
  const ttlMs = run.ttl_seconds === null ? facts.workspaceTtlMs : run.ttl_seconds * 1000;
  if (facts.desiredUp || ttlMs === undefined || ttlMs <= 0) return { kind: 'clear' };
  return { kind: 'set', destroyAt: new Date(facts.now.getTime() + ttlMs) };
}

/** When a TTL destroys: its end, postponed to the end of an active keep_up_until override. */
export function ttlDestroyAt(destroyAt: Date, keepUpUntil?: Date): Date {
  return keepUpUntil && keepUpUntil > destroyAt ? keepUpUntil : destroyAt;
}

/** What the scheduler knows of the workspace when a TTL may be due. */
export interface TtlObserved {
  readonly status: string;
  /** The run holding the workspace's lock, if any. */
  readonly activeRunId: string | null;
  /** Enabled in its config, overridden by the API's enable/disable. */
  readonly enabled: boolean;
  readonly protect: boolean;
  /** Why an environment holds the workspace, if one does. */
  readonly environment: string | null;
}

export type TtlDecision =
  /** Not due yet: wake at `at`. */
  | { readonly outcome: 'not_due'; readonly at: Date }
  /** A run holds the workspace: decide again after it (nothing is recorded). */
  | { readonly outcome: 'wait'; readonly reason: string }
  /** Record the firing `ttl` at `at` with this outcome (fired: queue the destroy, trigger `ttl`). */
  | { readonly outcome: 'fired'; readonly at: Date }
  | { readonly outcome: 'skipped'; readonly at: Date; readonly reason: string };

/** Whether a TTL destroys now: a pure function of the TTL, the override, the workspace and now. */
export function decideTtl(input: {
  readonly destroyAt: Date;
  readonly keepUpUntil?: Date;
  readonly observed: TtlObserved;
  readonly now: Date;
}): TtlDecision {
  const at = ttlDestroyAt(input.destroyAt, input.keepUpUntil);
  const { observed } = input;
  if (at > input.now) return { outcome: 'not_due', at };
  if (observed.activeRunId)
    return { outcome: 'wait', reason: `run ${observed.activeRunId} holds the workspace` };
  if (!observed.enabled) return { outcome: 'skipped', at, reason: 'disabled' };
  if (observed.protect) return { outcome: 'skipped', at, reason: 'workspace is protected (protect: true)' };
  if (observed.environment) return { outcome: 'skipped', at, reason: observed.environment };
  if (observed.status === 'destroyed') return { outcome: 'skipped', at, reason: 'already in desired state' };
  return { outcome: 'fired', at };
}
