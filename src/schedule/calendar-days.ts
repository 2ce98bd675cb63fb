/**
 * Calendar days: the local dates on which a workspace's uptime windows are closed and its deploy firings
 * skipped. A date is judged in the workspace's time zone, so "2027-12-25" covers Christmas Day as the
 * people using the workspace see it, wherever the server runs.
 *
 * Also home to the small `YYYY-MM-DD` arithmetic the schedule code shares (pure, UTC-based, no zone).
 */
import type { Calendar, ScheduledWorkspace } from './schedule-model.ts';
import { localDate, startOfLocalDay } from './zoned-time.ts';

const dayMs = 86_400_000;
const isoDatePattern = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar entry that matched: which calendar, which local date, and the entry's name if it has one. */
export interface CalendarDayMatch {
  readonly calendar: string;
  readonly date: string;
  readonly name?: string;
}

/** True for a real `YYYY-MM-DD` date (rejects `2027-02-30`, `2027-13-01`). */
export function isIsoDate(text: string): boolean {
  if (!isoDatePattern.test(text)) return false;
  const parsed = new Date(`${text}T00:00:00.000Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === text;
}

/** `date` plus `days` (may be negative), as `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + days * dayMs).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative if `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00.000Z`) - Date.parse(`${from}T00:00:00.000Z`)) / dayMs);
}

/** Weekday of a `YYYY-MM-DD` date, 0 = Sunday (dates have no zone). */
export function weekdayOfDate(date: string): number {
  return new Date(`${date}T00:00:00.000Z`).getUTCDay();
}

/**
 * The workspace's calendars, in the order it names them. Unknown names are skipped here: config validation
 * reports them, and a schedule must not stop because a calendar file was deleted.
 */
export function workspaceCalendars(
  definition: Pick<ScheduledWorkspace, 'calendars'>,
  calendars: ReadonlyMap<string, Calendar>,
): Calendar[] {
  return definition.calendars.flatMap((name) => {
    const calendar = calendars.get(name);
    return calendar ? [calendar] : [];
  });
}

/** The first calendar (in the given order) that lists `date`, or null. */
export function calendarDateMatch(calendars: readonly Calendar[], date: string): CalendarDayMatch | null {
  for (const calendar of calendars) {
    if (!calendar.dates.has(date)) continue;
    const name = calendar.entries.find((entry) => entry.date === date)?.name;
    return { calendar: calendar.name, date, ...(name === undefined ? {} : { name }) };
  }
  return null;
}

/** The calendar entry covering the local date of `instant` in `timeZone`, or null. */
export function isCalendarDay(
  calendars: readonly Calendar[],
  timeZone: string,
  instant: Date,
): CalendarDayMatch | null {
  if (calendars.length === 0) return null;
  return calendarDateMatch(calendars, localDate(instant, timeZone));
}

/**
 * Instants in `(after, until]` where a calendar day starts or ends (local midnight before and after each
 * listed date), sorted and without duplicates: the moments a calendar can open or close a window.
 */
export function calendarDayEdges(
  calendars: readonly Calendar[],
  timeZone: string,
  after: Date,
  until: Date,
): Date[] {
  // String bounds first, so a long calendar costs a comparison per date, not a zone conversion.
  const firstDate = addDays(localDate(after, timeZone), -1);
  const lastDate = localDate(until, timeZone);
  const instants = new Set<number>();
  for (const calendar of calendars) {
    for (const date of calendar.dates) {
      if (date < firstDate || date > lastDate) continue;
      for (const edge of [date, addDays(date, 1)]) {
        const at = startOfLocalDay(edge, timeZone).getTime();
        if (at > after.getTime() && at <= until.getTime()) instants.add(at);
      }
    }
  }
  return [...instants].sort((a, b) => a - b).map((ms) => new Date(ms));
}
