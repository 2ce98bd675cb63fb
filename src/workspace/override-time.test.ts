import { describe, expect, it } from 'vitest';
import { parseOverrideEnd } from './override-time.ts';

const paris = 'Europe/Paris';
// 2026-12-01 17:30 in Paris (CET, UTC+1).
const now = new Date('2026-12-01T16:30:00Z');
const until = (text: string, zone = paris, at = now) => parseOverrideEnd({ until: text }, at, zone);

describe('override end times (tide override add)', () => {
  it('reads --until 21:00 as today at 21:00 in the workspace zone', () => {
    expect(until('21:00')).toEqual({ ok: true, until: new Date('2026-12-01T20:00:00Z') });
    expect(until('9:05', 'UTC', new Date('2026-12-01T08:00:00Z'))).toEqual({
      ok: true,
      until: new Date('2026-12-01T09:05:00Z'),
    });
  });

  it('reads a time of day already past as tomorrow', () => {
    expect(until('08:00')).toEqual({ ok: true, until: new Date('2026-12-02T07:00:00Z') });
    expect(until('17:30')).toEqual({ ok: true, until: new Date('2026-12-02T16:30:00Z') });
  });

  it('reads a local date-time in the workspace zone, across a DST change', () => {
    expect(until('2026-12-03T08:00')).toEqual({ ok: true, until: new Date('2026-12-03T07:00:00Z') });
    expect(until('2027-07-01T08:00:30')).toEqual({ ok: true, until: new Date('2027-07-01T06:00:30Z') });
    expect(until('2026-12-03')).toEqual({ ok: true, until: new Date('2026-12-02T23:00:00Z') });
  });

  it('takes an ISO instant with Z or an offset as is', () => {
    expect(until('2026-12-03T08:00:00Z')).toEqual({ ok: true, until: new Date('2026-12-03T08:00:00Z') });
    expect(until('2026-12-03T08:00:00+05:30')).toEqual({ ok: true, until: new Date('2026-12-03T02:30:00Z') });
  });

  it('reads --for 3h, 90m and 1d as durations from now', () => {
    expect(parseOverrideEnd({ for: '3h' }, now, paris)).toEqual({
      ok: true,
      forMs: 3 * 3_600_000,
      for: '3h',
    });
    expect(parseOverrideEnd({ for: '90m' }, now, paris)).toMatchObject({ forMs: 90 * 60_000 });
    expect(parseOverrideEnd({ for: '1d' }, now, paris)).toMatchObject({ forMs: 86_400_000 });
  });

  it('refuses both, neither, a bad time, an impossible date and a zero duration, saying which flag', () => {
    expect(parseOverrideEnd({ until: '21:00', for: '3h' }, now, paris)).toEqual({
      ok: false,
      error: 'give either --until or --for, not both',
    });
    expect(parseOverrideEnd({}, now, paris)).toMatchObject({ ok: false });
    for (const text of ['25:00', 'tonight', '2026-02-30T08:00', '2026-12-03 08:00', '2026-12-03T25:00:00Z'])
      expect(until(text)).toMatchObject({ ok: false, error: expect.stringMatching(/^--until: /) });
    expect(parseOverrideEnd({ for: '0' }, now, paris)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^--for: /),
    });
    expect(parseOverrideEnd({ for: 'soon' }, now, paris)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^--for: /),
    });
  });
});
