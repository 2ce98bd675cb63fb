/**
 * The desired-state timeline of a workspace: contiguous segments covering `[from, until)`, each with one
 * state, mode and reason. Computed by the same functions as `desiredStateAt`, so the preview and the
 * scheduler cannot disagree. Adjacent segments with the same state, mode and reason are merged; a change
 * of reason alone (a calendar day inside the down time between two windows) keeps its own segment so the
 * preview can say why.
 */
import type { Calendar, WorkspaceDefinition } from '../config/config-model.ts';
import type { DesiredState } from './desired-state.ts';
import {
  desiredStateAt,
  firingState,
  sameDesiredState,
  uptimeBoundaries,
  uptimeStateAt,
} from './desired-state.ts';
import { upcomingFirings } from './firings.ts';

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

/** A state that starts at an instant. */
interface Change {
  readonly at: Date;
  readonly state: DesiredState;
}

// Bounds the work for absurd schedules (a per-second deploy cron): later firings are not drawn.
const timelineFiringLimit = 100_000;

export function desiredTimeline(
  definition: WorkspaceDefinition,
  calendars: ReadonlyMap<string, Calendar>,
  range: TimelineRange,
): TimelineSegment[] {
  if (range.until.getTime() <= range.from.getTime()) return [];
  const changes =
    definition.uptime.length > 0
      ? uptimeChanges(definition, calendars, range)
      : edgeChanges(definition, calendars, range);
  return toSegments(changes, range.until);
}

function uptimeChanges(
  definition: WorkspaceDefinition,
  calendars: ReadonlyMap<string, Calendar>,
  range: TimelineRange,
): Change[] {
  const lastInstant = new Date(range.until.getTime() - 1);
  const instants = [range.from, ...uptimeBoundaries(definition, calendars, range.from, lastInstant)];
  return instants.map((at) => ({ at, state: uptimeStateAt(definition, calendars, at) }));
}

function edgeChanges(
  definition: WorkspaceDefinition,
  calendars: ReadonlyMap<string, Calendar>,
  range: TimelineRange,
): Change[] {
  const changes: Change[] = [{ at: range.from, state: desiredStateAt(definition, calendars, range.from) }];
  const firings = upcomingFirings(definition, calendars, {
    after: range.from,
    until: new Date(range.until.getTime() - 1),
    limit: timelineFiringLimit,
  });
  for (const firing of firings) {
    if (firing.skip || (firing.action !== 'deploy' && firing.action !== 'destroy')) continue;
    const change = { at: firing.scheduled_at, state: firingState(firing, firing.scheduled_at) };
    // Firings are sorted so that the last one at an instant decides; it replaces earlier ones there.
    const last = changes[changes.length - 1]!;
    if (last.at.getTime() === change.at.getTime()) changes[changes.length - 1] = change;
    else changes.push(change);
  }
  return changes;
}

function toSegments(changes: readonly Change[], until: Date): TimelineSegment[] {
  const segments: TimelineSegment[] = [];
  let open: { start: Date; state: DesiredState } | null = null;
  for (const change of changes) {
    if (open && sameDesiredState(open.state, change.state)) continue;
    if (open) segments.push(segment(open.start, change.at, open.state));
    open = { start: change.at, state: change.state };
  }
  if (open) segments.push(segment(open.start, until, open.state));
  return segments;
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
