/**
 * The state a workspace should be in at an instant, from its schedules alone (overrides are applied by the
 * scheduler on top). Two kinds of workspaces:
 *
 * - uptime (windows): up, in the window's mode, inside an open window that is not on a calendar day;
 *   down otherwise. A calendar day closes a window from its local midnight to the next.
 * - edges: the latest firing wins among deploy, destroy and mode schedules at or before the instant; a
 *   deploy that fell on a calendar day was skipped and doesn't count. `none` when nothing has fired yet
 *   (or the workspace only has plan/job schedules): Tide then has no opinion and leaves it as it is.
 *
 * At one instant, firings are ordered destroy, deploy, plan, job, then by schedule order, and the last
 * state-changing one wins: a deploy and a destroy due at the same instant leave the workspace up.
 */
import type { Calendar, EdgeSchedule, ScheduledWorkspace } from './schedule-model.ts';
import { addDays, calendarDayEdges, isCalendarDay, workspaceCalendars } from './calendar-days.ts';
import type { CronExpression } from './cron.ts';
import { parseCron } from './cron.ts';
import { isInsideWindow, windowBoundaries } from './windows.ts';
import { startOfLocalDay } from './zoned-time.ts';

export interface DesiredState {
  readonly state: 'up' | 'down' | 'none';
  /** Mode to be up in; undefined = the workspace's default variables. */
  readonly mode?: string;
  /** Why, for people: stable across instants of one period so timelines can merge on it. */
  readonly reason: string;
  /** When this state began, if known (uptime: looked up to 32 days back; edges: the deciding firing). */
  readonly since?: Date;
  /** The schedule (edge key or window key) responsible. */
  readonly source_key?: string;
}

/** What a state-changing firing leads to. */
export interface StateFiring {
  readonly schedule_key: string;
  readonly action: EdgeSchedule['action'];
  readonly mode?: string;
}

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
// Growing look-backs keep the common case (a frequent cron) cheap; past 1500 days a schedule counts as never.
const lookBacksMs = [hourMs, dayMs, 8 * dayMs, 32 * dayMs, 366 * dayMs, 1500 * dayMs];
const sinceLookBackMs = 32 * dayMs;

/** Rank of an action among firings at the same instant (lower comes first; the last one wins). */
export const actionRank: Readonly<Record<EdgeSchedule['action'], number>> = {
  destroy: 0,
  deploy: 1,
  plan: 2,
  job: 3,
};

/** What the schedules want at `instant`; calendars are looked up by the names the workspace lists. */
export function desiredStateAt(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  instant: Date,
): DesiredState {
  if (definition.uptime.length > 0) {
    const current = uptimeStateAt(definition, calendars, instant);
    const since = uptimeSince(definition, calendars, instant, current);
    return since ? { ...current, since } : current;
  }
  return edgeStateAt(definition, calendars, instant);
}

/** Two states are the same period if they agree on state, mode and reason. */
export function sameDesiredState(a: DesiredState, b: DesiredState): boolean {
  return a.state === b.state && a.mode === b.mode && a.reason === b.reason;
}

/** The uptime state at `instant`, without `since`. */
export function uptimeStateAt(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  instant: Date,
): DesiredState {
  const match = isInsideWindow(definition.uptime, definition.timezone, instant);
  if (!match) return { state: 'down', reason: 'outside uptime windows' };
  const key = match.window.key;
  const day = isCalendarDay(workspaceCalendars(definition, calendars), definition.timezone, instant);
  if (day) {
    const label = day.name === undefined ? day.date : `${day.date} ${day.name}`;
    return {
      state: 'down',
      reason: `calendar day (${day.calendar}: ${label}) closes ${key}`,
      source_key: key,
    };
  }
  const { days, from, to } = match.window;
  return {
    state: 'up',
    ...(match.mode === undefined ? {} : { mode: match.mode }),
    reason: `inside ${key} (${days} ${from} to ${to})`,
    source_key: key,
  };
}

/** Instants in `(after, until]` where an uptime state may change: window ends and calendar day edges. */
export function uptimeBoundaries(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  after: Date,
  until: Date,
): Date[] {
  const zone = definition.timezone;
  const instants = new Set<number>();
  for (const boundary of windowBoundaries(definition.uptime, zone, after, until)) {
    instants.add(boundary.at.getTime());
  }
  for (const edge of calendarDayEdges(workspaceCalendars(definition, calendars), zone, after, until)) {
    instants.add(edge.getTime());
  }
  return [...instants].sort((a, b) => a - b).map((ms) => new Date(ms));
}

function uptimeSince(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  instant: Date,
  current: DesiredState,
): Date | undefined {
  const after = new Date(instant.getTime() - sinceLookBackMs);
  const boundaries = uptimeBoundaries(definition, calendars, after, instant);
  for (let index = boundaries.length - 1; index >= 0; index -= 1) {
    const boundary = boundaries[index]!;
    const before = uptimeStateAt(definition, calendars, new Date(boundary.getTime() - 1));
    if (!sameDesiredState(before, current)) return boundary;
  }
  return undefined;
}

/** The state a deploy/destroy firing leads to, with the same reason `desiredStateAt` gives for it. */
export function firingState(firing: StateFiring, at: Date): DesiredState {
  const mode = firing.mode === undefined ? '' : ` in mode ${firing.mode}`;
  return {
    state: firing.action === 'destroy' ? 'down' : 'up',
    ...(firing.mode === undefined ? {} : { mode: firing.mode }),
    reason: `last firing: ${firing.schedule_key} (${firing.action}${mode})`,
    since: at,
    source_key: firing.schedule_key,
  };
}

function edgeStateAt(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  instant: Date,
): DesiredState {
  const edges = definition.edges.filter((edge) => edge.action === 'deploy' || edge.action === 'destroy');
  if (edges.length === 0) return { state: 'none', reason: 'no deploy, destroy or mode schedule' };
  let best: { edge: EdgeSchedule; at: Date } | null = null;
  for (const edge of edges) {
    const at = latestCountedFiring(definition, calendars, edge, instant);
    if (!at) continue;
    // Iterating in schedule order, `>=` on the rank lets the later of two equal-rank edges win a tie.
    const wins =
      !best ||
      at.getTime() > best.at.getTime() ||
      (at.getTime() === best.at.getTime() && actionRank[edge.action] >= actionRank[best.edge.action]);
    if (wins) best = { edge, at };
  }
  if (!best) return { state: 'none', reason: 'no deploy, destroy or mode schedule has fired yet' };
  const { key, action, mode } = best.edge;
  return firingState({ schedule_key: key, action, mode }, best.at);
}

/** The edge's latest firing at or before `instant` that counts: deploys on calendar days were skipped. */
function latestCountedFiring(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  edge: EdgeSchedule,
  instant: Date,
): Date | null {
  const parsed = parseCron(edge.cron, edge.timezone);
  // Validated config never gets here with a bad expression; an event trigger never fires on a clock.
  if (!parsed.ok) return null;
  const days = workspaceCalendars(definition, calendars);
  let bound = instant;
  for (;;) {
    const at = latestFiringAtOrBefore(parsed.cron, bound);
    if (!at || edge.action !== 'deploy') return at;
    const day = isCalendarDay(days, definition.timezone, at);
    if (!day) return at;
    // Skip the whole calendar day at once; each step passes a distinct listed date, so this ends.
    bound = new Date(startOfLocalDay(day.date, definition.timezone).getTime() - 1);
  }
}

/**
 * The edge's first firing strictly after `after` that counts (the mirror of latestCountedFiring), or null.
 * `days` are the workspace's calendars.
 */
export function nextCountedFiring(
  cron: CronExpression,
  edge: Pick<EdgeSchedule, 'action'>,
  days: readonly Calendar[],
  timeZone: string,
  after: Date,
): Date | null {
  let bound = after;
  for (;;) {
    const at = cron.next(bound);
    if (!at || edge.action !== 'deploy') return at;
    const day = isCalendarDay(days, timeZone, at);
    if (!day) return at;
    // Skip to the end of the calendar day: each step passes a distinct listed date, so this ends.
    bound = new Date(startOfLocalDay(addDays(day.date, 1), timeZone).getTime() - 1);
  }
}

/**
 * The latest firing of `cron` at or before `instant`, or null if none within 1500 days. The library has
 * no reliable "previous", so this finds the smallest look-back that contains a firing, then narrows down
 * by bisection on `next`: at most ~45 calls of `next` whatever the cron's frequency (even per second).
 */
export function latestFiringAtOrBefore(cron: CronExpression, instant: Date): Date | null {
  const end = instant.getTime();
  for (const lookBack of lookBacksMs) {
    let low = end - lookBack;
    const first = cron.next(new Date(low));
    if (!first || first.getTime() > end) continue;
    // Invariant: next(low) <= end < next(high). Ends with high = low + 1 ms, so next(low) is the last firing.
    let high = end;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const next = cron.next(new Date(middle));
      if (next && next.getTime() <= end) low = middle;
      else high = middle;
    }
    return cron.next(new Date(low));
  }
  return null;
}
