/**
 * Overrides (SPEC §2, docs/overrides.md, decision 030): time-boxed exceptions to a workspace's schedule.
 * Everything here is pure: the scheduler reads a workspace's overrides once and passes them into its
 * decisions, so what an override did can be explained and tested without a clock or a database.
 */
import type { DesiredState } from '../schedule/desired-state.ts';
import type { OverrideKind } from '../store/schema.ts';

export type { OverrideKind } from '../store/schema.ts';
export { overrideKinds } from '../store/schema.ts';

export interface Override {
  readonly id: string;
  readonly workspace: string;
  readonly kind: OverrideKind;
  /** skip_next only. */
  readonly action: 'deploy' | 'destroy' | null;
  readonly ends_at: Date;
  readonly reason: string | null;
  readonly actor: string;
  readonly created_at: Date;
  readonly removed_at: Date | null;
  /** skip_next: set once it skipped its firing. */
  readonly consumed_at: Date | null;
}

/** What a firing looks like to an override: only its action matters. */
export interface OverridableFiring {
  readonly action: string;
  readonly scheduled_at: Date;
}

/** In force at `at`: not removed, not consumed, not yet ended. */
export function isActive(override: Override, at: Date): boolean {
  return override.removed_at === null && override.consumed_at === null && override.ends_at > at;
}

export function activeOverrides(overrides: readonly Override[], at: Date): Override[] {
  return overrides.filter((override) => isActive(override, at));
}

/** The end of the latest keep_up_until in force at `now` (a TTL extension is one), if any. */
export function activeKeepUpUntil(overrides: readonly Override[], now: Date): Date | undefined {
  let latest: Date | undefined;
  for (const override of overrides) {
    if (
      override.kind === 'keep_up_until' &&
      isActive(override, now) &&
      (!latest || override.ends_at > latest)
    )
      latest = override.ends_at;
  }
  return latest;
}

function affects(override: Override, firing: OverridableFiring): boolean {
  switch (override.kind) {
    case 'pause_until':
      return true;
    case 'keep_up_until':
      return firing.action === 'destroy';
    case 'keep_down_until':
      return firing.action === 'deploy';
    case 'skip_next':
      return firing.action === override.action;
  }
}

// A pause or keep_* skips the firing before a skip_next is considered, so a skip_next is not used up on a
// firing that would have been skipped anyway.
const precedence: Readonly<Record<OverrideKind, number>> = {
  pause_until: 0,
  keep_up_until: 1,
  keep_down_until: 1,
  skip_next: 2,
};

/**
 * The override that skips `firing`, if any: in force when the firing was scheduled. The caller passes
 * the overrides not yet consumed; a skip_next that skips a firing is consumed by it (the caller marks it).
 */
export function skippingOverride(
  firing: OverridableFiring,
  overrides: readonly Override[],
): Override | undefined {
  return [...overrides]
    .filter((override) => isActive(override, firing.scheduled_at) && affects(override, firing))
    .sort((a, b) => precedence[a.kind] - precedence[b.kind])[0];
}

/** The ledger reason of a firing an override skipped: it starts with `override <id>` (decision 030). */
export function overrideReason(override: Override): string {
  const what = override.kind === 'skip_next' ? `skip_next ${override.action}` : override.kind;
  return `override ${override.id}: ${what} until ${override.ends_at.toISOString()}`;
}

/** Whether a ledger reason names this override. */
export function reasonNames(reason: string | null, override: Pick<Override, 'id'>): boolean {
  return reason?.startsWith(`override ${override.id}:`) ?? false;
}

export type AdjustedDesiredState =
  { readonly paused: Override } | { readonly paused?: undefined; readonly desired: DesiredState };

/**
 * The desired state once overrides are applied (window reconcile, workspace view). A keep_* in force wins
 * over the schedule; a pause freezes the workspace as it is. When a keep_* that contradicted the schedule
 * ended inside the current period, the period counts from that end: the schedule takes over at once.
 * A skip_next that skipped this period's edge keeps the period from being healed until it ends.
 */
export function adjustDesiredState(
  scheduled: DesiredState,
  overrides: readonly Override[],
  now: Date,
): AdjustedDesiredState {
  const active = activeOverrides(overrides, now);
  const paused = active.find((override) => override.kind === 'pause_until');
  if (paused) return { paused };
  const keep = active
    .filter((override) => override.kind === 'keep_up_until' || override.kind === 'keep_down_until')
    .sort((a, b) => b.created_at.getTime() - a.created_at.getTime())[0];
  if (keep) {
    const state = keep.kind === 'keep_up_until' ? 'up' : 'down';
    return {
      desired: {
        state,
        ...(state === 'up' && scheduled.state === 'up' && scheduled.mode !== undefined
          ? { mode: scheduled.mode }
          : {}),
        reason: overrideReason(keep),
        since: keep.created_at,
      },
    };
  }
  const skipped = overrides.find(
    (override) =>
      override.kind === 'skip_next' &&
      override.removed_at === null &&
      override.consumed_at !== null &&
      override.ends_at > now &&
      scheduled.since !== undefined &&
      override.consumed_at >= scheduled.since &&
      override.action === (scheduled.state === 'up' ? 'deploy' : 'destroy'),
  );
  if (skipped) return { desired: { ...scheduled, state: 'none', reason: overrideReason(skipped) } };
  const ended = endedInPeriod(scheduled, overrides, now);
  if (ended && scheduled.since && ended.ends_at > scheduled.since) {
    return {
      desired: {
        ...scheduled,
        reason: `${scheduled.reason}; override ${ended.id} (${ended.kind}) ended at ${ended.ends_at.toISOString()}`,
        since: ended.ends_at,
      },
    };
  }
  return { desired: scheduled };
}

/** The latest keep_up_until, keep_down_until or pause_until that ended in (since, now] and held the workspace against `scheduled`. */
function endedInPeriod(
  scheduled: DesiredState,
  overrides: readonly Override[],
  now: Date,
): Override | undefined {
  return overrides
    .filter(
      (override) =>
        override.removed_at === null &&
        override.ends_at <= now &&
        (override.kind === 'pause_until' ||
          (override.kind === 'keep_up_until' && scheduled.state === 'down') ||
          (override.kind === 'keep_down_until' && scheduled.state === 'up')),
    )
    .sort((a, b) => b.ends_at.getTime() - a.ends_at.getTime())[0];
}

/**
 * When an override that skipped the latest deploy/destroy of an edge (cron) workspace ends, that firing is
 * done at the end: keep_up_until 21:00 on a workspace whose 19:00 destroy it skipped takes it down at
 * 21:00. `latest` is the ledger's latest deploy/destroy firing of the workspace at or before the end.
 */
export function handbackAction(
  ended: Override,
  latest: { readonly action: string; readonly mode: string | null; readonly reason: string | null } | null,
): { readonly action: 'deploy' | 'destroy'; readonly mode: string | null; readonly reason: string } | null {
  if (ended.kind === 'skip_next' || ended.removed_at !== null || !latest) return null;
  if (latest.action !== 'deploy' && latest.action !== 'destroy') return null;
  if (!reasonNames(latest.reason, ended)) return null;
  return {
    action: latest.action,
    mode: latest.mode,
    reason: `override ${ended.id} (${ended.kind}) ended at ${ended.ends_at.toISOString()}: the ${latest.action} it skipped is done now`,
  };
}

/** The earliest end after `now` among overrides in force: the scheduler wakes there to hand back. */
export function nextOverrideEnd(overrides: readonly Override[], now: Date): Date | null {
  let next: Date | null = null;
  for (const override of overrides) {
    if (override.kind === 'skip_next' || override.removed_at !== null || override.ends_at <= now) continue;
    if (!next || override.ends_at < next) next = override.ends_at;
  }
  return next;
}

export interface OverriddenFiring<F> {
  readonly firing: F;
  /** The override that will skip it. */
  readonly skippedBy?: Override;
  /** A firing an override's end hands back (not in the schedule itself). */
  readonly handback?: Override;
}

/**
 * Upcoming firings as overrides will leave them (workspace view, schedule preview): each firing with the
 * override that skips it (a skip_next only its first), plus the deploy/destroy each keep_* or pause hands
 * back at its end when the last one before that end was skipped by it (as the scheduler does).
 */
export function withOverrides<F extends OverridableFiring & { readonly schedule_key: string }>(
  firings: readonly F[],
  overrides: readonly Override[],
  now: Date,
): OverriddenFiring<F>[] {
  let open = activeOverrides(overrides, now);
  const result: OverriddenFiring<F>[] = firings.map((firing) => {
    const by = skippingOverride(firing, open);
    if (!by) return { firing };
    if (by.kind === 'skip_next') open = open.filter((override) => override !== by);
    return { firing, skippedBy: by };
  });
  for (const override of activeOverrides(overrides, now)) {
    if (override.kind === 'skip_next') continue;
    const last = result
      .filter(
        ({ firing }) =>
          (firing.action === 'deploy' || firing.action === 'destroy') &&
          firing.scheduled_at < override.ends_at,
      )
      .at(-1);
    if (last?.skippedBy !== override) continue;
    const handback = {
      ...last.firing,
      schedule_key: `override:${override.id}`,
      scheduled_at: override.ends_at,
    };
    result.push({ firing: handback, handback: override });
  }
  return result.sort((a, b) => a.firing.scheduled_at.getTime() - b.firing.scheduled_at.getTime());
}

/** An override as the API shows it (times ISO 8601 UTC). */
export interface OverrideView {
  readonly id: string;
  readonly workspace: string;
  readonly kind: OverrideKind;
  readonly action: 'deploy' | 'destroy' | null;
  readonly ends_at: string;
  readonly reason: string | null;
  readonly actor: string;
  readonly created_at: string;
  /** `active`, or why not: `expired`, `removed`, `consumed` (a skip_next that skipped its firing). */
  readonly state: 'active' | 'expired' | 'removed' | 'consumed';
  readonly removed_at: string | null;
  readonly consumed_at: string | null;
}

export function toOverrideView(override: Override, now: Date): OverrideView {
  return {
    id: override.id,
    workspace: override.workspace,
    kind: override.kind,
    action: override.action,
    ends_at: override.ends_at.toISOString(),
    reason: override.reason,
    actor: override.actor,
    created_at: override.created_at.toISOString(),
    state: override.removed_at
      ? 'removed'
      : override.consumed_at
        ? 'consumed'
        : override.ends_at <= now
          ? 'expired'
          : 'active',
    removed_at: override.removed_at?.toISOString() ?? null,
    consumed_at: override.consumed_at?.toISOString() ?? null,
  };
}
