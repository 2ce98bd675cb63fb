/**
 * `tide schedule preview` and `GET /api/v1/workspaces/{name}/schedule`: the next firings and the
 * desired-state timeline over `[from, from + days)`, as a JSON-ready object and as text for a terminal.
 * Firings and timeline come from firings.ts and timeline.ts, the code the scheduler runs.
 *
 * Bounded whatever the schedules: at most MAX_PREVIEW_DAYS days, PREVIEW_FIRING_LIMIT firings and
 * PREVIEW_SEGMENT_LIMIT segments (the rest left out and flagged), and the work is done as steps
 * (steps.ts) so the API can compute a preview without holding up the event loop.
 */
import type { Calendar, ScheduledWorkspace } from './schedule-model.ts';
import type { DesiredState } from './desired-state.ts';
import type { Firing } from './firings.ts';
import { firingStream } from './firings.ts';
import { runAtOnce, type Steps } from '../time/slices.ts';
import { defaultTimelineLimits, timelineSteps, type TimelineSegment } from './timeline.ts';
import { offsetAt, toWallClock } from './zoned-time.ts';
import type { OverrideKind, OverridesTable } from '../store/schema.ts';

export interface PreviewFiring {
  readonly schedule_key: string;
  readonly action: Firing['action'];
  readonly mode?: string;
  readonly job?: string;
  /** ISO 8601, UTC. */
  readonly scheduled_at: string;
  /** `YYYY-MM-DD HH:MM:SS` in the workspace's zone, then its abbreviation (`CET`) or offset (`+05:30`). */
  readonly local_time: string;
  /** `override`: an override skips it (src/workspace/override-preview.ts), `override_id` says which. */
  readonly skipped?: 'calendar' | 'override';
  readonly override_id?: string;
}

/** An override's period as the preview shows it (src/workspace/override-preview.ts). */
export interface PreviewOverride {
  readonly id: string;
  readonly kind: OverrideKind;
  readonly action: OverridesTable['action'];
  readonly start: string;
  readonly end: string;
  readonly local_start: string;
  readonly local_end: string;
  readonly reason: string | null;
}

export interface PreviewSegment {
  readonly start: string;
  readonly end: string;
  readonly local_start: string;
  readonly local_end: string;
  readonly state: DesiredState['state'];
  readonly mode?: string;
  readonly reason: string;
}

export interface SchedulePreview {
  readonly workspace: string;
  readonly timezone: string;
  readonly from: string;
  readonly until: string;
  readonly firings: readonly PreviewFiring[];
  /** Present (true) when more than PREVIEW_FIRING_LIMIT firings fall in the range; the rest are left out. */
  readonly firings_truncated?: true;
  readonly timeline: readonly PreviewSegment[];
  /** Present (true) when the timeline was cut (PREVIEW_SEGMENT_LIMIT): its last segment ends before `until`. */
  readonly timeline_truncated?: true;
  /** The overrides in force over the range; firings and timeline already show their effect. */
  readonly overrides?: readonly PreviewOverride[];
}

export interface PreviewRange {
  readonly from: Date;
  /** Length of the preview in days of 24 hours (default 7, at most MAX_PREVIEW_DAYS). */
  readonly days?: number;
}

/** Longest preview: a quarter, enough to check a season's calendar days against the schedules. */
export const MAX_PREVIEW_DAYS = 90;
/**
 * When a preview may start: the cron library only computes years 1900 to 2999 (beyond, firings silently
 * vanish), and a preview reaches up to MAX_PREVIEW_DAYS past its start.
 */
export const PREVIEW_FROM_BOUNDS = {
  earliest: new Date('1970-01-01T00:00:00.000Z'),
  latest: new Date('2998-12-01T00:00:00.000Z'),
} as const;
export const PREVIEW_FIRING_LIMIT = 1000;
export const PREVIEW_SEGMENT_LIMIT = defaultTimelineLimits.segments;
const dayMs = 86_400_000;

/** Why `from` cannot start a preview (out of PREVIEW_FROM_BOUNDS), or null if it can. */
export function previewFromProblem(from: Date): string | null {
  const { earliest, latest } = PREVIEW_FROM_BOUNDS;
  if (from.getTime() >= earliest.getTime() && from.getTime() <= latest.getTime()) return null;
  return `want an instant from ${earliest.toISOString()} to ${latest.toISOString()}, got ${from.toISOString()}`;
}

export function schedulePreview(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  range: PreviewRange,
): SchedulePreview {
  return runAtOnce(schedulePreviewSteps(definition, calendars, range));
}

/** schedulePreview as steps (steps.ts): one per firing or segment computed or formatted. */
export function* schedulePreviewSteps(
  definition: ScheduledWorkspace,
  calendars: ReadonlyMap<string, Calendar>,
  range: PreviewRange,
): Steps<SchedulePreview> {
  const zone = definition.timezone;
  const from = range.from;
  const days = range.days ?? 7;
  const problem =
    days > 0 && days <= MAX_PREVIEW_DAYS ? previewFromProblem(from) : `want 1 to ${MAX_PREVIEW_DAYS} days`;
  // Callers check the request first and name the parameter that is wrong; this only guards the cost.
  if (problem) throw new RangeError(`schedule preview: ${problem}`);
  const until = new Date(from.getTime() + days * dayMs);
  // Firings in [from, until), like the timeline: shift the stream's (after, until] by one millisecond.
  const firings: Firing[] = [];
  let firingsTruncated = false;
  for (const firing of firingStream(
    definition,
    calendars,
    new Date(from.getTime() - 1),
    new Date(until.getTime() - 1),
  )) {
    yield;
    if (firings.length === PREVIEW_FIRING_LIMIT) {
      firingsTruncated = true;
      break;
    }
    firings.push(firing);
  }
  const timeline = yield* timelineSteps(definition, calendars, { from, until });
  const shownFirings: PreviewFiring[] = [];
  for (const firing of firings) {
    yield;
    shownFirings.push(previewFiring(firing, zone));
  }
  const shownSegments: PreviewSegment[] = [];
  for (const segment of timeline.segments) {
    yield;
    shownSegments.push(previewSegment(segment, zone));
  }
  return {
    workspace: definition.name,
    timezone: zone,
    from: from.toISOString(),
    until: until.toISOString(),
    firings: shownFirings,
    ...(firingsTruncated ? { firings_truncated: true as const } : {}),
    timeline: shownSegments,
    ...(timeline.truncated ? { timeline_truncated: true as const } : {}),
  };
}

function previewSegment(segment: TimelineSegment, zone: string): PreviewSegment {
  return {
    start: segment.start.toISOString(),
    end: segment.end.toISOString(),
    local_start: formatLocalTime(segment.start, zone),
    local_end: formatLocalTime(segment.end, zone),
    state: segment.state,
    ...(segment.mode === undefined ? {} : { mode: segment.mode }),
    reason: segment.reason,
  };
}

function previewFiring(firing: Firing, zone: string): PreviewFiring {
  return {
    schedule_key: firing.schedule_key,
    action: firing.action,
    ...(firing.mode === undefined ? {} : { mode: firing.mode }),
    ...(firing.job === undefined ? {} : { job: firing.job }),
    scheduled_at: firing.scheduled_at.toISOString(),
    local_time: formatLocalTime(firing.scheduled_at, zone),
    ...(firing.skip ? { skipped: firing.skip } : {}),
  };
}

/** `2027-03-15 09:00:00 CET`: local wall clock, then the zone's abbreviation, or its offset if it has none. */
export function formatLocalTime(instant: Date, timeZone: string): string {
  const wall = toWallClock(instant, timeZone).toISOString();
  return `${wall.slice(0, 10)} ${wall.slice(11, 19)} ${zoneLabel(instant, timeZone)}`;
}

function zoneLabel(instant: Date, timeZone: string): string {
  // en-US knows American abbreviations (EST), en-GB European ones (CET, BST); others come out as "GMT+1".
  for (const locale of ['en-US', 'en-GB']) {
    const name = zoneNameFormatter(locale, timeZone)
      .formatToParts(instant)
      .find((part) => part.type === 'timeZoneName')?.value;
    if (name && /^[A-Z]{2,5}$/.test(name)) return name;
  }
  const offsetMinutes = Math.round(offsetAt(instant, timeZone) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  return `${sign}${hours}:${String(Math.abs(offsetMinutes) % 60).padStart(2, '0')}`;
}

// Building a DateTimeFormat costs far more than using one: a preview formats thousands of times.
const zoneNameFormatters = new Map<string, Intl.DateTimeFormat>();

function zoneNameFormatter(locale: string, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale} ${timeZone}`;
  let formatter = zoneNameFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' });
    zoneNameFormatters.set(key, formatter);
  }
  return formatter;
}

/** The preview as text: a table of firings (local and UTC times), then the up/down timeline. */
export function formatPreviewText(preview: SchedulePreview): string {
  const lines = [
    `Schedule preview for ${preview.workspace} (${preview.timezone})`,
    `From ${localAndUtc(preview.from, preview.timezone)} until ${localAndUtc(preview.until, preview.timezone)}`,
    '',
    'Firings',
    ...indent(firingRows(preview)),
    '',
    'Desired state',
    ...indent(timelineRows(preview)),
    ...(preview.overrides?.length ? ['', 'Overrides', ...indent(overrideRows(preview.overrides))] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function localAndUtc(iso: string, timeZone: string): string {
  return `${formatLocalTime(new Date(iso), timeZone)} (${iso})`;
}

function firingRows(preview: SchedulePreview): string[] {
  if (preview.firings.length === 0) return ['(none)'];
  const rows = preview.firings.map((firing) => [
    firing.local_time,
    firing.scheduled_at,
    firing.action,
    firing.mode ?? firing.job ?? '',
    firing.schedule_key,
    firing.skipped ? `skipped (${firing.skipped}${firing.override_id ? ` ${firing.override_id}` : ''})` : '',
  ]);
  const table = formatTable([['LOCAL TIME', 'UTC', 'ACTION', 'MODE/JOB', 'SCHEDULE', 'NOTE'], ...rows]);
  return preview.firings_truncated
    ? [...table, `… only the first ${preview.firings.length} firings are shown`]
    : table;
}

function overrideRows(overrides: readonly PreviewOverride[]): string[] {
  return formatTable([
    ['FROM', 'UNTIL', 'KIND', 'ID', 'REASON'],
    ...overrides.map((o) => [
      o.local_start,
      o.local_end,
      o.action ? `${o.kind} ${o.action}` : o.kind,
      o.id,
      o.reason ?? '',
    ]),
  ]);
}

function timelineRows(preview: SchedulePreview): string[] {
  if (preview.timeline.length === 0) return ['(empty range)'];
  const rows = preview.timeline.map((segment) => [
    segment.local_start,
    segment.local_end,
    segment.state,
    segment.mode ?? '',
    segment.reason,
  ]);
  const table = formatTable([['FROM', 'UNTIL', 'STATE', 'MODE', 'REASON'], ...rows]);
  return preview.timeline_truncated
    ? [...table, `… only the first ${preview.timeline.length} segments are shown`]
    : table;
}

/** Left-aligned columns two spaces apart; trailing blanks trimmed. */
function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, index) => cell.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

function indent(lines: readonly string[]): string[] {
  return lines.map((line) => `  ${line}`);
}
