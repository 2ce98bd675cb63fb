import { describe, expect, it } from 'vitest';
import { offsetAt, toWallClock } from './zoned-time.ts';

const formats = new Map<string, Intl.DateTimeFormat>();

/** The offset straight from Intl, with no cache, as the reference. */
function intlOffset(ms: number, timeZone: string): number {
  if (!formats.has(timeZone)) {
    formats.set(
      timeZone,
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      }),
    );
  }
  const parts = formats.get(timeZone)!.formatToParts(ms);
  const field = (type: string) => Number(parts.find((part) => part.type === type)!.value);
  const wall = Date.UTC(
    field('year'),
    field('month') - 1,
    field('day'),
    field('hour'),
    field('minute'),
    field('second'),
  );
  return wall - Math.floor(ms / 1000) * 1000;
}

function sweep(timeZone: string, fromIso: string, hours: number, stepMs: number): number {
  const start = Date.parse(fromIso);
  let mismatches = 0;
  // Twice: the first pass fills the cache, the second reads it.
  for (let pass = 0; pass < 2; pass++) {
    for (let ms = start; ms < start + hours * 3_600_000; ms += stepMs) {
      if (offsetAt(new Date(ms), timeZone) !== intlOffset(ms, timeZone)) mismatches++;
    }
  }
  return mismatches;
}

describe('cached zone offsets', () => {
  it('stay right past the bound of quarter-hours cached per zone (the cache starts over)', () => {
    // 50,000 quarter-hours (about 520 days) fill the cache; one day more makes it start over.
    expect(sweep('America/New_York', '2030-01-01T00:00:00Z', 12_600, 900_000)).toBe(0);
  });

  it('agree with Intl at every second around the 2026 Paris transitions, cached or not', () => {
    expect(sweep('Europe/Paris', '2026-03-29T00:30:00Z', 1, 1000)).toBe(0);
    expect(sweep('Europe/Paris', '2026-10-25T00:30:00Z', 1, 1000)).toBe(0);
  });

  it('agree with Intl across a half-hour DST shift (Lord Howe) and a 45-minute zone (Kathmandu)', () => {
    expect(sweep('Australia/Lord_Howe', '2026-04-04T14:00:00Z', 2, 7_000)).toBe(0);
    expect(sweep('Australia/Lord_Howe', '2026-10-03T15:00:00Z', 2, 7_000)).toBe(0);
    expect(sweep('Asia/Kathmandu', '2026-06-01T00:00:00Z', 48, 61_000)).toBe(0);
  });

  it('agree with Intl across a transition that falls at an odd second (Monrovia, 1972)', () => {
    expect(sweep('Africa/Monrovia', '1972-01-06T23:00:00Z', 4, 1000)).toBe(0);
  });

  it('keep the milliseconds of the instant in the wall clock', () => {
    const wall = toWallClock(new Date('2026-07-01T10:00:00.250Z'), 'Europe/Paris');
    expect(wall.toISOString()).toBe('2026-07-01T12:00:00.250Z');
  });

  it('are zero for UTC without asking Intl', () => {
    expect(offsetAt(new Date('2026-07-01T10:00:00Z'), 'UTC')).toBe(0);
  });
});
