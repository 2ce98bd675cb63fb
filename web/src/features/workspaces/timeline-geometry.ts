/**
 * Where things fall on the week grid: days as rows (or one long row for the fleet), hours 0–24 as x, in
 * a given zone. Instants are turned into wall-clock time by Intl, so DST days are drawn as the zone lives
 * them (a 23-hour day simply has an hour no firing lands in).
 */
import { addDays, daysBetween, wallClock } from '../../lib/time';

export const DAYS = 7;
/** The week starts two days back, so recent runs and firings show beside the coming windows. */
export const DAYS_BACK = 2;

export interface Week {
  /** First day shown, `YYYY-MM-DD` in `zone`. */
  readonly firstDate: string;
  readonly zone: string;
  /** The instant the API's schedule is asked from: that day's midnight (to the minute, DST aside). */
  readonly fromIso: string;
}

export function weekOf(now: number, zone: string): Week {
  const today = wallClock(new Date(now), zone);
  const firstDate = addDays(today.date, -DAYS_BACK);
  const midnight = now - today.hours * 3_600_000 - DAYS_BACK * 86_400_000;
  // Rounded to the minute so the query key (and the server's answer) stays the same within the minute.
  return { firstDate, zone, fromIso: new Date(Math.floor(midnight / 60_000) * 60_000).toISOString() };
}

export interface Placed {
  /** Day row, 0 = firstDate. */
  readonly day: number;
  /** Hours since that day's midnight. */
  readonly from: number;
  readonly to: number;
}

/** A point in time on the grid, or null outside the week. */
export function placeInstant(iso: string, week: Week): { day: number; hours: number } | null {
  const wall = wallClock(new Date(iso), week.zone);
  const day = daysBetween(week.firstDate, wall.date);
  return day >= 0 && day < DAYS ? { day, hours: wall.hours } : null;
}

/** A span, cut at each midnight into one piece per day row it covers; pieces outside the week dropped. */
export function placeSpan(startIso: string, endIso: string, week: Week): Placed[] {
  const start = wallClock(new Date(startIso), week.zone);
  const end = wallClock(new Date(endIso), week.zone);
  const first = daysBetween(week.firstDate, start.date);
  const last = daysBetween(week.firstDate, end.date);
  const pieces: Placed[] = [];
  for (let day = Math.max(0, first); day <= Math.min(DAYS - 1, last); day++) {
    const from = day === first ? start.hours : 0;
    const to = day === last ? end.hours : 24;
    if (to > from) pieces.push({ day, from, to });
  }
  return pieces;
}
