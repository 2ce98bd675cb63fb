/**
 * Upcoming firings of a workspace: every cron edge (deploy, destroy, mode, plan, job) plus, for uptime
 * workspaces, the moments its desired state changes (a window opening deploys, closing destroys).
 *
 * Calendars: a deploy edge (mode schedules included) firing on a calendar day is listed with
 * `skip: 'calendar'`; destroys, plans and jobs are never skipped by calendars. For windows a calendar day
 * closes the window, so window firings are the changes of the calendar-aware desired state: no deploy at a
 * window's opening on a calendar day, a destroy at local midnight when a calendar day starts inside an open
 * window, a deploy when it ends inside one.
 *
 * Order: by instant; at the same instant destroy, deploy, plan, job (tearing down before bringing up, and
 * running plans and jobs against what is deployed); then window firings before edges, edges in schedule
 * order. The last deploy/destroy at an instant decides the desired state (see desired-state.ts).
 */
import type { Calendar, EdgeSchedule, ScheduledWorkspace } from './schedule-model.ts';
import { isCalendarDay, workspaceCalendars } from './calendar-days.ts';
import { parseCron } from './cron.ts';
import { actionRank, uptimeBoundaries, uptimeStateAt } from './desired-state.ts';

export interface Firing {
  readonly schedule_key: string;
  readonly action: EdgeSchedule['action'];
  readonly mode?: string;
  readonly job?: string;
  readonly scheduled_at: Date;
  readonly skip?: 'calendar';
}

export interface FiringRange {
  /** Exclusive. */
  readonly after: Date;
  /** Inclusive. */
  readonly until: Date;
  /** Most firings returned (the earliest ones); default 1000. */
  readonly limit?: number;
}

export const defaultFiringLimit = 1000;

const dayMs = 86_400_000;
// nextFirings widens its search through these horizons until it has enough firings.
const horizonsMs = [dayMs, 8 * dayMs, 32 * dayMs, 366 * dayMs, 1500 * dayMs];

/** Firings in `(after, until]`, sorted (see the file comment for ties), at most `limit`. */
export function upcomingFirings(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  range: FiringRange,
): Firing[] {
  const limit = range.limit ?? defaultFiringLimit;
  const firings: Firing[] = [];
  if (limit <= 0) return firings;
  // Stop as soon as the last one is taken: pulling once more would compute a firing nobody reads, and
  // for a scheduler pass (one firing each from 10,000 workspaces) it also evicts the answer each shared
  // cron expression remembers for the pass's instant (cron.ts), so every workspace searched twice.
  for (const firing of firingStream(definition, calendars, range.after, range.until)) {
    firings.push(firing);
    if (firings.length >= limit) break;
  }
  return firings;
}

/**
 * Firings in `(after, until]` in order, computed as they are taken: a merge of one lazy stream per
 * schedule, so taking n firings costs about n cron steps however many schedules fire in the range.
 */
export function* firingStream(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  after: Date,
  until: Date,
): Generator<Firing, void, void> {
  const days = workspaceCalendars(definition, calendars);
  // Window firings first, then edges in schedule order: the source order breaks ties (file comment).
  const sources: Iterator<Firing, void>[] = [
    windowFirings(definition, calendars, after, until)[Symbol.iterator](),
    ...definition.edges.map((edge) => edgeFirings(definition, days, edge, after, until)),
  ];
  const take = (source: Iterator<Firing, void>) => {
    const result = source.next();
    return result.done ? null : result.value;
  };
  const heads = sources.map(take);
  for (;;) {
    let first = -1;
    heads.forEach((head, index) => {
      if (head && (first < 0 || comesBefore(head, heads[first]!))) first = index;
    });
    if (first < 0) return;
    yield heads[first]!;
    heads[first] = take(sources[first]!);
  }
}

/** Strictly before: at one instant and rank, the earlier source keeps its place. */
function comesBefore(a: Firing, b: Firing): boolean {
  const byTime = a.scheduled_at.getTime() - b.scheduled_at.getTime();
  return byTime < 0 || (byTime === 0 && actionRank[a.action] < actionRank[b.action]);
}

/** The next `count` firings strictly after `now` (skipped ones included), looking up to 1500 days ahead. */
export function nextFirings(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  now: Date,
  count: number,
): Firing[] {
  let firings: Firing[] = [];
  // Edge streams are lazy, so one pass over the longest horizon costs only the firings taken; window
  // firings are computed for the whole range at once, so they widen step by step.
  const horizons = definition.uptime.length === 0 ? horizonsMs.slice(-1) : horizonsMs;
  for (const horizon of horizons) {
    const until = new Date(now.getTime() + horizon);
    firings = upcomingFirings(definition, calendars, { after: now, until, limit: count });
    if (firings.length >= count) break;
  }
  return firings;
}

function* edgeFirings(
  definition: ScheduledWorkspace,
  days: readonly Calendar[],
  edge: EdgeSchedule,
  after: Date,
  until: Date,
): Generator<Firing, void, void> {
  const parsed = parseCron(edge.cron, edge.timezone);
  // Validated config never gets here with a bad expression; an event trigger never fires on a clock.
  if (!parsed.ok) return;
  for (let at = parsed.cron.next(after); at && at.getTime() <= until.getTime(); at = parsed.cron.next(at)) {
    const skipped = edge.action === 'deploy' && isCalendarDay(days, definition.timezone, at) !== null;
    yield {
      schedule_key: edge.key,
      action: edge.action,
      ...(edge.mode === undefined ? {} : { mode: edge.mode }),
      ...(edge.job === undefined ? {} : { job: edge.job }),
      scheduled_at: at,
      ...(skipped ? { skip: 'calendar' as const } : {}),
    };
  }
}

/** Changes of the window-driven desired state in `(after, until]`, as deploy/destroy firings. */
function windowFirings(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  after: Date,
  until: Date,
): Firing[] {
  if (definition.uptime.length === 0) return [];
  const firings: Firing[] = [];
  for (const at of uptimeBoundaries(definition, calendars, after, until)) {
    const before = uptimeStateAt(definition, calendars, new Date(at.getTime() - 1));
    const now = uptimeStateAt(definition, calendars, at);
    if (now.state === 'up' && (before.state !== 'up' || before.mode !== now.mode)) {
      const mode = now.mode === undefined ? {} : { mode: now.mode };
      firings.push({ schedule_key: now.source_key ?? '', action: 'deploy', ...mode, scheduled_at: at });
    } else if (now.state !== 'up' && before.state === 'up') {
      firings.push({ schedule_key: before.source_key ?? '', action: 'destroy', scheduled_at: at });
    }
  }
  return firings;
}
