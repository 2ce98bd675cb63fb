/**
 * The human times of `tide override add` (docs/overrides.md), parsed without a clock or a server: the
 * caller passes now and the workspace's time zone. `--until 21:00` is today at 21:00 in the workspace's
 * zone, or tomorrow if that has passed; `--until 2026-12-03T08:00` is that wall-clock time there; an ISO
 * instant with `Z` or an offset is taken as is. `--for 3h` / `90m` / `1d` is a duration from now.
 */
import { parseDuration } from '../time/duration.ts';
import { fromWallClock, localDate } from '../schedule/zoned-time.ts';

export type OverrideEnd =
  | { readonly ok: true; readonly until: Date }
  | { readonly ok: true; readonly forMs: number; readonly for: string }
  | { readonly ok: false; readonly error: string };

const timeOfDay = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const localDateTime = /^(\d{4}-\d{2}-\d{2})(?:T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?)?$/;
const withOffset = /(Z|[+-]\d{2}:?\d{2})$/i;

export function parseOverrideEnd(
  given: { readonly until?: string | undefined; readonly for?: string | undefined },
  now: Date,
  timeZone: string,
): OverrideEnd {
  if (given.until !== undefined && given.for !== undefined)
    return { ok: false, error: 'give either --until or --for, not both' };
  if (given.for !== undefined) {
    const parsed = parseDuration(given.for);
    if (!parsed.ok) return { ok: false, error: `--for: ${parsed.error}` };
    if (parsed.ms <= 0) return { ok: false, error: '--for: want a duration above 0' };
    return { ok: true, forMs: parsed.ms, for: given.for.trim() };
  }
  if (given.until === undefined) return { ok: false, error: 'give --until <time> or --for <duration>' };
  const until = parseUntil(given.until.trim(), now, timeZone);
  if (!until) {
    return {
      ok: false,
      error: `--until: cannot read "${given.until}" (use e.g. 21:00, 2026-12-03T08:00 or 2026-12-03T08:00:00+01:00)`,
    };
  }
  return { ok: true, until };
}

function parseUntil(text: string, now: Date, timeZone: string): Date | null {
  const clock = timeOfDay.exec(text);
  if (clock) {
    const wall = (date: string) =>
      fromWallClock(new Date(`${date}T${clock[1]!.padStart(2, '0')}:${clock[2]}:00.000Z`), timeZone);
    const today = localDate(now, timeZone);
    const at = wall(today);
    if (at > now) return at;
    const tomorrow = new Date(Date.parse(`${today}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
    return wall(tomorrow);
  }
  const local = localDateTime.exec(text);
  if (local) {
    const [, date, hour = '00', minute = '00', second = '00'] = local;
    const wall = new Date(`${date}T${hour}:${minute}:${second}.000Z`);
    if (Number.isNaN(wall.getTime()) || wall.toISOString().slice(0, 10) !== date) return null;
    return fromWallClock(wall, timeZone);
  }
  if (withOffset.test(text) && /^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const instant = new Date(text);
    return Number.isNaN(instant.getTime()) ? null : instant;
  }
  return null;
}
