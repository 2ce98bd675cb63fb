/**
 * Uptime windows ("up mon-fri 07:00-19:00"): whether an instant is inside one, and where windows open and
 * close. Pure functions of the windows, the workspace's time zone and instants; calendars are applied by
 * the callers (desired-state.ts), which treat a calendar day as closing the window.
 *
 * A window occurrence belongs to the local date it opens on: it opens at `from` on a day listed in `days`
 * and closes at `to` the same day, or the next day when `to` is not after `from` (overnight) or is `24:00`.
 * Both ends are mapped to instants with the DST rules of zoned-time.ts: an end inside a spring-forward gap
 * moves to the first instant after the gap, an end inside a fall-back overlap takes its first occurrence.
 *
 * Membership is judged against those instants (`opensAt <= t < closesAt`). Away from DST changes this is
 * the plain wall-clock rule (weekday in `days` and `from <= time < to`, or for overnight windows the
 * previous weekday and `time < to`); inside a fall-back overlap, where the wall clock repeats an hour, it
 * keeps membership consistent with boundaries that fire once, instead of reopening or reclosing a window
 * for the repeated hour.
 */
import type { UptimeWindow } from './schedule-model.ts';
import { addDays, weekdayOfDate } from './calendar-days.ts';
import { parseCron } from './cron.ts';
import { fromWallClock, localDate } from './zoned-time.ts';

/** One opening of a window: the window and the instants it opens and closes. */
export interface WindowOccurrence {
  readonly window: UptimeWindow;
  readonly opensAt: Date;
  readonly closesAt: Date;
}

/** The window an instant is inside, with the mode it asks for (undefined = the workspace's default). */
export interface WindowMatch extends WindowOccurrence {
  readonly mode: string | undefined;
}

export interface WindowBoundary {
  readonly at: Date;
  readonly kind: 'open' | 'close';
  readonly window: UptimeWindow;
}

const minuteMs = 60_000;
// 2000-01-02 was a Sunday: the seven days from it tell which weekdays a day-of-week expression allows.
const probeSundayMs = Date.UTC(2000, 0, 2);
const weekdayCache = new Map<string, ReadonlySet<number>>();

/** Weekdays (0 = Sunday) allowed by a cron day-of-week expression such as `mon-fri` or `*`. */
export function weekdaysOf(days: string): ReadonlySet<number> {
  const cached = weekdayCache.get(days);
  if (cached) return cached;
  const parsed = parseCron(`0 0 * * ${days}`, 'UTC');
  // Config validation rejects bad `days`; reaching this is a programming error, not a user one.
  if (!parsed.ok) throw new TypeError(`invalid uptime days "${days}": ${parsed.error}`);
  const weekdays = new Set<number>();
  for (let day = 0; day < 7; day += 1) {
    const midnight = probeSundayMs + day * 86_400_000;
    if (parsed.cron.next(new Date(midnight - 1))?.getTime() === midnight) weekdays.add(day);
  }
  weekdayCache.set(days, weekdays);
  return weekdays;
}

/** Minutes after local midnight of an `HH:MM` time; `24:00` is 1440. */
function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return (hours ?? 0) * 60 + (minutes ?? 0);
}

function wallClockAt(date: string, minutes: number): Date {
  // Date arithmetic overflows into the next day, so 24:00 becomes the next day's 00:00.
  return new Date(Date.parse(`${date}T00:00:00.000Z`) + minutes * minuteMs);
}

/**
 * The occurrence of `window` that opens on local `date`, or null if the window doesn't open that day or
 * the occurrence is empty (both ends fall in the same DST gap).
 */
export function windowOccurrence(
  window: UptimeWindow,
  date: string,
  timeZone: string,
): WindowOccurrence | null {
  if (!weekdaysOf(window.days).has(weekdayOfDate(date))) return null;
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const closeDate = to <= from ? addDays(date, 1) : date;
  const opensAt = fromWallClock(wallClockAt(date, from), timeZone);
  const closesAt = fromWallClock(wallClockAt(closeDate, to), timeZone);
  return closesAt.getTime() > opensAt.getTime() ? { window, opensAt, closesAt } : null;
}

/**
 * The window `instant` is inside, or null. When windows overlap, the most recently opened one wins (so a
 * 09:00-17:00 "large" window inside a 07:00-19:00 "small" one switches the mode for its hours); on a tie
 * the first window in the list wins.
 */
export function isInsideWindow(
  windows: readonly UptimeWindow[],
  timeZone: string,
  instant: Date,
): WindowMatch | null {
  const today = localDate(instant, timeZone);
  const t = instant.getTime();
  let best: WindowOccurrence | null = null;
  for (const window of windows) {
    // An occurrence lasts less than a day of wall-clock time, so only yesterday's and today's can contain t.
    for (const date of [addDays(today, -1), today]) {
      const occurrence = windowOccurrence(window, date, timeZone);
      if (!occurrence || occurrence.opensAt.getTime() > t || occurrence.closesAt.getTime() <= t) continue;
      if (!best || occurrence.opensAt.getTime() > best.opensAt.getTime()) best = occurrence;
    }
  }
  return best ? { ...best, mode: best.window.mode } : null;
}

/**
 * Every instant in `(after, until]` where a window opens or closes, sorted by time; at the same instant
 * closes come before opens, then windows in list order (the same tie rule as firings).
 */
export function windowBoundaries(
  windows: readonly UptimeWindow[],
  timeZone: string,
  after: Date,
  until: Date,
): WindowBoundary[] {
  const boundaries: WindowBoundary[] = [];
  const inRange = (at: Date) => at.getTime() > after.getTime() && at.getTime() <= until.getTime();
  // Start a day early: an occurrence that opened yesterday may close inside the range.
  const lastDate = localDate(until, timeZone);
  for (let date = addDays(localDate(after, timeZone), -1); date <= lastDate; date = addDays(date, 1)) {
    for (const window of windows) {
      const occurrence = windowOccurrence(window, date, timeZone);
      if (!occurrence) continue;
      if (inRange(occurrence.opensAt)) boundaries.push({ at: occurrence.opensAt, kind: 'open', window });
      if (inRange(occurrence.closesAt)) boundaries.push({ at: occurrence.closesAt, kind: 'close', window });
    }
  }
  const kindRank = { close: 0, open: 1 } as const;
  const order = (boundary: WindowBoundary) => windows.indexOf(boundary.window);
  return boundaries.sort(
    (a, b) => a.at.getTime() - b.at.getTime() || kindRank[a.kind] - kindRank[b.kind] || order(a) - order(b),
  );
}
