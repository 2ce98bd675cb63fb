/**
 * `tide schedule preview` and `GET /api/v1/workspaces/{name}/schedule`: the next firings and the
 * desired-state timeline over `[from, from + days)`, as a JSON-ready object and as text for a terminal.
 * Firings and timeline come from firings.ts and timeline.ts, the code the scheduler runs.
 */
import type { Calendar, WorkspaceDefinition } from '../config/config-model.ts';
import type { DesiredState } from './desired-state.ts';
import type { Firing } from './firings.ts';
import { upcomingFirings } from './firings.ts';
import { desiredTimeline } from './timeline.ts';
import { offsetAt, toWallClock } from './zoned-time.ts';

export interface PreviewFiring {
  readonly schedule_key: string;
  readonly action: Firing['action'];
  readonly mode?: string;
  readonly job?: string;
  /** ISO 8601, UTC. */
  readonly scheduled_at: string;
  /** `YYYY-MM-DD HH:MM:SS` in the workspace's zone, then its abbreviation (`CET`) or offset (`+05:30`). */
  readonly local_time: string;
  readonly skipped?: 'calendar';
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
  /** Present (true) when more than `previewFiringLimit` firings fall in the range; the rest are left out. */
  readonly firings_truncated?: true;
  readonly timeline: readonly PreviewSegment[];
}

export interface PreviewRange {
  readonly from: Date;
  /** Length of the preview in days of 24 hours (default 7). */
  readonly days?: number;
}

export const previewFiringLimit = 1000;
const dayMs = 86_400_000;

export function schedulePreview(
  definition: WorkspaceDefinition,
  calendars: ReadonlyMap<string, Calendar>,
  range: PreviewRange,
): SchedulePreview {
  const zone = definition.timezone;
  const from = range.from;
  const until = new Date(from.getTime() + (range.days ?? 7) * dayMs);
  // Firings in [from, until), like the timeline: shift the library's (after, until] by one millisecond.
  const firings = upcomingFirings(definition, calendars, {
    after: new Date(from.getTime() - 1),
    until: new Date(until.getTime() - 1),
    limit: previewFiringLimit + 1,
  });
  const timeline = desiredTimeline(definition, calendars, { from, until });
  return {
    workspace: definition.name,
    timezone: zone,
    from: from.toISOString(),
    until: until.toISOString(),
    firings: firings.slice(0, previewFiringLimit).map((firing) => previewFiring(firing, zone)),
    ...(firings.length > previewFiringLimit ? { firings_truncated: true as const } : {}),
    timeline: timeline.map((segment) => ({
      start: segment.start.toISOString(),
      end: segment.end.toISOString(),
      local_start: formatLocalTime(segment.start, zone),
      local_end: formatLocalTime(segment.end, zone),
      state: segment.state,
      ...(segment.mode === undefined ? {} : { mode: segment.mode }),
      reason: segment.reason,
    })),
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
    const name = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })
      .formatToParts(instant)
      .find((part) => part.type === 'timeZoneName')?.value;
    if (name && /^[A-Z]{2,5}$/.test(name)) return name;
  }
  const offsetMinutes = Math.round(offsetAt(instant, timeZone) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, '0');
  return `${sign}${hours}:${String(Math.abs(offsetMinutes) % 60).padStart(2, '0')}`;
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
    firing.skipped ? `skipped (${firing.skipped})` : '',
  ]);
  const table = formatTable([['LOCAL TIME', 'UTC', 'ACTION', 'MODE/JOB', 'SCHEDULE', 'NOTE'], ...rows]);
  return preview.firings_truncated
    ? [...table, `… only the first ${preview.firings.length} firings are shown`]
    : table;
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
  return formatTable([['FROM', 'UNTIL', 'STATE', 'MODE', 'REASON'], ...rows]);
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
