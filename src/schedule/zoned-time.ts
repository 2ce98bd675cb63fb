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
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) fields[part.type] = Number(part.value);
  const ms = instant.getTime();
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return new Date(
    Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!) +
      (ms - wholeSecond),
  );
}

/** Offset from UTC (ms, positive east) in force at `instant`. */
export function offsetAt(instant: Date, timeZone: string): number {
  const wall = toWallClock(instant, timeZone);
  return wall.getTime() - instant.getTime();
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
