/** Times as people read them: in the workspace's zone, UTC on hover, and relative times that tick. */
import { useEffect, useState } from 'react';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export interface WallClock {
  /** `YYYY-MM-DD` in the zone. */
  readonly date: string;
  /** Hours since the zone's midnight, with minutes as a fraction (0 ≤ hours < 24): a position, not a label. */
  readonly hours: number;
  /** `HH:MM`, from the formatter's own digits: a label rebuilt from `hours` can lose a minute to rounding. */
  readonly time: string;
  readonly zone: string;
}

export function wallClock(instant: Date, timeZone: string): WallClock {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    hours: Number(parts.hour) + Number(parts.minute) / 60 + Number(parts.second) / 3600,
    time: `${parts.hour}:${parts.minute}`,
    zone: parts.timeZoneName ?? timeZone,
  };
}

/**
 * The instant a wall clock (`YYYY-MM-DD`, `HH:MM`) shows in a zone: the UTC reading corrected by the
 * zone's offset, twice, so an instant next to a DST change lands on the right side. A time skipped by a
 * spring-forward lands an hour later, as clocks do.
 */
export function instantInZone(date: string, time: string, timeZone: string): Date {
  const target = Date.parse(`${date}T${time}:00Z`);
  let guess = target;
  for (let i = 0; i < 2; i++) {
    const wall = wallClock(new Date(guess), timeZone);
    const shown = Date.parse(`${wall.date}T00:00:00Z`) + Math.round(wall.hours * 3_600_000);
    guess += target - shown;
  }
  return new Date(guess);
}

/** `2027-03-15 07:00 CET`. */
export function formatInZone(iso: string, timeZone: string): string {
  const wall = wallClock(new Date(iso), timeZone);
  return `${wall.date} ${wall.time} ${wall.zone}`;
}

/** `07:00`: the wall-clock time only, for badges where the day is plain from context. */
export function formatTimeInZone(iso: string, timeZone: string): string {
  return formatInZone(iso, timeZone).slice(11, 16);
}

export function formatUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** Whole days between two `YYYY-MM-DD` dates. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function formatRelative(iso: string, now: number): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second')
      return relative.format(Math.round(seconds / size), unit);
  }
  return '';
}

/** The current time, re-rendering the caller every `everyMs`: relative times tick, the now line moves. */
export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
