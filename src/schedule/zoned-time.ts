/**
 * Conversions between instants and wall-clock time in an IANA time zone, with the spec's DST rules:
 * a wall time inside a spring-forward gap maps to the first valid instant after the gap, and a wall time
 * inside a fall-back overlap maps to its first occurrence. Built on Intl so that no date library leaks
 * into the rest of the code.
 *
 * A wall time is represented as a `Date` whose UTC fields hold the local fields ("floating" time).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True if the runtime knows the zone (IANA names such as `Europe/Paris`, and `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The local wall-clock time at `instant`, as a floating Date. */
export function toWallClock(instant: Date, timeZone: string): Date {
  return new Date(instant.getTime() + offsetAt(instant, timeZone));
}

// Offsets are cached per zone and quarter hour of UTC: formatToParts is the cost of every cron step and
// window check (several calls per step). A quarter hour is cached only when its first and last
// millisecond have the same offset, so one that holds a transition (at whatever second) is always
// computed exactly; wrong only if two transitions fell in one quarter hour, which no zone has ever had.
const quarterHourMs = 15 * 60_000;
const maxCachedQuarterHours = 50_000;
const offsetCache = new Map<string, Map<number, number>>();

/** Offset from UTC (ms, positive east) in force at `instant`. */
export function offsetAt(instant: Date, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const ms = instant.getTime();
  const quarter = Math.floor(ms / quarterHourMs);
  let zoneOffsets = offsetCache.get(timeZone);
  if (!zoneOffsets) {
    zoneOffsets = new Map();
    offsetCache.set(timeZone, zoneOffsets);
  }
  const cached = zoneOffsets.get(quarter);
  if (cached !== undefined) return cached;
  const first = exactOffset(quarter * quarterHourMs, timeZone);
  if (first !== exactOffset((quarter + 1) * quarterHourMs - 1, timeZone)) return exactOffset(ms, timeZone);
  if (zoneOffsets.size >= maxCachedQuarterHours) zoneOffsets.clear();
  zoneOffsets.set(quarter, first);
  return first;
}

/** The offset at `ms` as Intl reports it (whole seconds: wall-clock seconds are what it formats). */
function exactOffset(ms: number, timeZone: string): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) fields[part.type] = Number(part.value);
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return (
    Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!) -
    wholeSecond
  );
}

/**
 * The instant at which the wall clock reads `wall`. Gap → the first instant after the gap (the transition
 * itself); overlap → the first occurrence.
 */
export function fromWallClock(wall: Date, timeZone: string): Date {
  const wallMs = wall.getTime();
  const day = 86_400_000;
  const offsets = new Set([
    offsetAt(new Date(wallMs - day), timeZone),
    offsetAt(new Date(wallMs), timeZone),
    offsetAt(new Date(wallMs + day), timeZone),
  ]);
  const matches = [...offsets]
    .map((offset) => wallMs - offset)
    .filter((candidate) => toWallClock(new Date(candidate), timeZone).getTime() === wallMs);
  if (matches.length > 0) return new Date(Math.min(...matches));
  return new Date(transitionAfter(wallMs, offsets, timeZone));
}

/** The wall time falls in a gap: find the transition instant by bisection between the two offsets. */
function transitionAfter(wallMs: number, offsets: Set<number>, timeZone: string): number {
  // Before the transition the offset is the smaller one (clocks go forward), so wall - larger < transition.
  let low = wallMs - Math.max(...offsets);
  let high = wallMs - Math.min(...offsets);
  const before = offsetAt(new Date(low), timeZone);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (offsetAt(new Date(mid), timeZone) === before) low = mid;
    else high = mid;
  }
  return high;
}

/** `YYYY-MM-DD` of the local date at `instant`. */
export function localDate(instant: Date, timeZone: string): string {
  return toWallClock(instant, timeZone).toISOString().slice(0, 10);
}

/** The instant local midnight begins on `date` (`YYYY-MM-DD`), honouring the gap rule. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  return fromWallClock(new Date(`${date}T00:00:00.000Z`), timeZone);
}

/** Local weekday at `instant`, 0 = Sunday. */
export function localWeekday(instant: Date, timeZone: string): number {
  return toWallClock(instant, timeZone).getUTCDay();
}
