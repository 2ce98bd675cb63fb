/**
 * The desired-state timeline of a workspace: contiguous segments covering `[from, until)`, each with one
 * state, mode and reason. Computed by the same functions as `desiredStateAt`, so the preview and the
 * scheduler cannot disagree. Adjacent segments with the same state, mode and reason are merged; a change
 * of reason alone (a calendar day inside the down time between two windows) keeps its own segment so the
 * preview can say why.
 *
 * Cost follows the output, not the length of the range: an edge workspace jumps from one state change to
 * the next (the schedule in force firing again changes nothing, so only the others' next firings are
 * looked up), and limits on segments and on instants examined cut the timeline, marked as truncated.
 */
import type { Calendar, EdgeSchedule, ScheduledWorkspace } from './schedule-model.ts';
import { workspaceCalendars } from './calendar-days.ts';
import type { CronExpression } from './cron.ts';
import { parseCron } from './cron.ts';
import type { DesiredState } from './desired-state.ts';
import {
  actionRank,
  desiredStateAt,
  firingState,
  nextCountedFiring,
  sameDesiredState,
  uptimeBoundaries,
  uptimeStateAt,
} from './desired-state.ts';
import { runAtOnce, type Steps } from '../time/slices.ts';

export interface TimelineSegment {
  readonly start: Date;
  /** Exclusive. */
  readonly end: Date;
  readonly state: DesiredState['state'];
  readonly mode?: string;
  readonly reason: string;
}

export interface TimelineRange {
  readonly from: Date;
  /** Exclusive. */
  readonly until: Date;
}

export interface TimelineLimits {
  /** Most segments; the timeline is cut where the next one would start. */
  readonly segments: number;
  /**
   * Most instants examined. Usually one per segment, but a firing of another schedule that loses a tie to
   * the schedule in force changes nothing (a per-second deploy against a per-two-seconds destroy).
   */
  readonly steps: number;
}

export interface Timeline {
  readonly segments: TimelineSegment[];
  /** True when a limit cut the timeline: the last segment then ends before `until`. */
  readonly truncated: boolean;
}

export const defaultTimelineLimits: TimelineLimits = { segments: 1000, steps: 10_000 };

/** A state that starts at an instant. */
interface Change {
  readonly at: Date;
  readonly state: DesiredState;
}

export function desiredTimeline(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  range: TimelineRange,
  limits: TimelineLimits = defaultTimelineLimits,
): Timeline {
  return runAtOnce(timelineSteps(definition, calendars, range, limits));
}

/** desiredTimeline as steps (steps.ts): one per instant examined. */
export function* timelineSteps(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  range: TimelineRange,
  limits: TimelineLimits = defaultTimelineLimits,
): Steps<Timeline> {
  if (range.until.getTime() <= range.from.getTime()) return { segments: [], truncated: false };
  const changes =
    definition.uptime.length > 0
      ? uptimeChanges(definition, calendars, range)
      : edgeChanges(definition, calendars, range);
  const segments: TimelineSegment[] = [];
  let open: Change | null = null;
  let steps = 0;
  for (const change of changes) {
    yield;
    steps += 1;
    const cut = steps > limits.steps;
    if (open && !cut && sameDesiredState(open.state, change.state)) continue;
    if (open) segments.push(segment(open.at, change.at, open.state));
    if (cut || segments.length >= limits.segments) return { segments, truncated: true };
    open = change;
  }
  if (open) segments.push(segment(open.at, range.until, open.state));
  return { segments, truncated: false };
}

function* uptimeChanges(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  range: TimelineRange,
): Generator<Change, void, void> {
  const lastInstant = new Date(range.until.getTime() - 1);
  // Boundaries cost a few zone conversions per window and day; the state at each is the dearer part.
  for (const at of [range.from, ...uptimeBoundaries(definition, calendars, range.from, lastInstant)]) {
    yield { at, state: uptimeStateAt(definition, calendars, at) };
  }
}

interface StateEdge {
  readonly edge: EdgeSchedule;
  readonly cron: CronExpression;
  /** Its first counted firing after the instant it was last looked up from; undefined = not yet. */
  next: Date | null | undefined;
}

/** The state at `from`, then every instant in `(from, until)` where another schedule takes over. */
function* edgeChanges(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  range: TimelineRange,
): Generator<Change, void, void> {
  const initial = desiredStateAt(definition, calendars, range.from);
  yield { at: range.from, state: initial };
  const days = workspaceCalendars(definition, calendars);
  const nextAfter = (candidate: StateEdge, after: Date) =>
    nextCountedFiring(candidate.cron, candidate.edge, days, definition.timezone, after);
  const edges = stateEdges(definition);
  let current = initial.source_key;
  let cursor = range.from;
  for (;;) {
    // The schedule in force firing again changes nothing: only the others' next firings can.
    let at: Date | null = null;
    for (const candidate of edges) {
      if (candidate.edge.key === current) continue;
      // A looked-up firing stays the next one until the cursor passes it (null: it never fires again).
      if (candidate.next === undefined || (candidate.next && candidate.next <= cursor)) {
        candidate.next = nextAfter(candidate, cursor);
      }
      if (candidate.next && (!at || candidate.next < at)) at = candidate.next;
    }
    if (!at || at.getTime() >= range.until.getTime()) return;
    const instant = at.getTime();
    const firesAt = (candidate: StateEdge) =>
      candidate.edge.key === current
        ? nextAfter(candidate, new Date(instant - 1))?.getTime() === instant
        : candidate.next?.getTime() === instant;
    // Among firings at one instant the last (by action rank, then schedule order) decides.
    const winner = edges
      .filter(firesAt)
      .reduce((best, candidate) =>
        actionRank[candidate.edge.action] >= actionRank[best.edge.action] ? candidate : best,
      );
    const { key, action, mode } = winner.edge;
    yield {
      at,
      state: firingState({ schedule_key: key, action, ...(mode === undefined ? {} : { mode }) }, at),
    };
    current = key;
    cursor = at;
  }
}

/** The deploy, destroy and mode schedules, in schedule order (the order that breaks ties). */
function stateEdges(definition: ScheduledWorkspace): StateEdge[] {
  return definition.edges.flatMap((edge) => {
    if (edge.action !== 'deploy' && edge.action !== 'destroy') return [];
    const parsed = parseCron(edge.cron, edge.timezone);
    // Validated config never gets here with a bad expression; an event trigger never fires on a clock.
    return parsed.ok ? [{ edge, cron: parsed.cron, next: undefined }] : [];
  });
}

function segment(start: Date, end: Date, state: DesiredState): TimelineSegment {
  return {
    start,
    end,
    state: state.state,
    ...(state.mode === undefined ? {} : { mode: state.mode }),
    reason: state.reason,
  };
}
