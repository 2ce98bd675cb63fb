import { describe, it, expect } from 'vitest';
import { parseCron } from './cron.ts';
import { at } from './test-fixtures.ts';
import { isInsideWindow, windowBoundaries } from './windows.ts';
import type { UptimeWindow } from './schedule-model.ts';
import {
  fromWallClock,
  isValidTimeZone,
  localDate,
  localWeekday,
  offsetAt,
  startOfLocalDay,
  toWallClock,
} from './zoned-time.ts';

// 2027 transitions: New York springs forward 2027-03-14 02:00 EST → 03:00 EDT (07:00Z) and falls back
// 2027-11-07 02:00 EDT → 01:00 EST (06:00Z); Paris springs forward 2027-03-28 02:00 → 03:00 (01:00Z) and
// falls back 2027-10-31 03:00 → 02:00 (01:00Z).

function firingsBetween(source: string, timeZone: string, after: string, until: string): string[] {
  const parsed = parseCron(source, timeZone);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.cron.between(at(after), at(until)).map((date) => date.toISOString());
}

function window(from: string, to: string, days = '*'): UptimeWindow {
  return { key: 'uptime[0]', days, from, to };
}

describe('cron across the spring-forward gap', () => {
  it('fires 02:30 New York at 03:00 EDT on the day 02:30 does not exist', () => {
    expect(
      firingsBetween('30 2 * * *', 'America/New_York', '2027-03-13T00:00:00Z', '2027-03-16T00:00:00Z'),
    ).toEqual(['2027-03-13T07:30:00.000Z', '2027-03-14T07:00:00.000Z', '2027-03-15T06:30:00.000Z']);
  });

  it('fires */15 during the missing hour once, at the first valid instant', () => {
    expect(
      firingsBetween('*/15 2 * * *', 'America/New_York', '2027-03-14T00:00:00Z', '2027-03-15T00:00:00Z'),
    ).toEqual(['2027-03-14T07:00:00.000Z']);
  });

  it('fires 02:30 Paris at 03:00 CEST (01:00Z) on 2027-03-28', () => {
    expect(
      firingsBetween('30 2 * * *', 'Europe/Paris', '2027-03-27T12:00:00Z', '2027-03-29T12:00:00Z'),
    ).toEqual(['2027-03-28T01:00:00.000Z', '2027-03-29T00:30:00.000Z']);
  });

  it('fires an hourly cron once for the skipped 02:00 and once at 03:00, at the same instant only once', () => {
    expect(
      firingsBetween('0 * * * *', 'Europe/Paris', '2027-03-27T23:30:00Z', '2027-03-28T02:30:00Z'),
    ).toEqual(['2027-03-28T00:00:00.000Z', '2027-03-28T01:00:00.000Z', '2027-03-28T02:00:00.000Z']);
  });
});

describe('cron across the fall-back overlap', () => {
  it('fires 02:30 New York once on 2027-11-07 (02:30 comes after the repeated hour)', () => {
    expect(
      firingsBetween('30 2 * * *', 'America/New_York', '2027-11-07T00:00:00Z', '2027-11-08T00:00:00Z'),
    ).toEqual(['2027-11-07T07:30:00.000Z']);
  });

  it('fires 01:30 New York once, at its first occurrence (05:30Z, EDT)', () => {
    expect(
      firingsBetween('30 1 * * *', 'America/New_York', '2027-11-07T00:00:00Z', '2027-11-08T00:00:00Z'),
    ).toEqual(['2027-11-07T05:30:00.000Z']);
  });

  it('fires an hourly cron once at 01:00 when the hour repeats', () => {
    expect(
      firingsBetween('0 * * * *', 'America/New_York', '2027-11-07T03:30:00Z', '2027-11-07T08:00:00Z'),
    ).toEqual([
      '2027-11-07T04:00:00.000Z',
      '2027-11-07T05:00:00.000Z',
      '2027-11-07T07:00:00.000Z',
      '2027-11-07T08:00:00.000Z',
    ]);
  });

  it('fires 02:30 Paris once on 2027-10-31, at its first occurrence (00:30Z, CEST)', () => {
    expect(
      firingsBetween('30 2 * * *', 'Europe/Paris', '2027-10-30T12:00:00Z', '2027-11-01T12:00:00Z'),
    ).toEqual(['2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z']);
  });

  it('does not fire again when asked from inside the repeated hour', () => {
    const parsed = parseCron('45 1 * * *', 'America/New_York');
    if (!parsed.ok) throw new Error(parsed.error);
    // 06:15Z is 01:15 EST, the second pass: 01:45 already fired at 05:45Z.
    expect(parsed.cron.next(at('2027-11-07T06:15:00Z'))).toEqual(at('2027-11-08T06:45:00Z'));
  });
});

describe('windows across DST changes', () => {
  it('opens a window whose start is in the gap at the first valid instant after it', () => {
    const windows = [window('02:30', '09:00')];
    const opens = windowBoundaries(
      windows,
      'America/New_York',
      at('2027-03-14T00:00:00Z'),
      at('2027-03-15T00:00:00Z'),
    );
    expect(opens.map((boundary) => [boundary.kind, boundary.at.toISOString()])).toEqual([
      ['open', '2027-03-14T07:00:00.000Z'],
      ['close', '2027-03-14T13:00:00.000Z'],
    ]);
    expect(isInsideWindow(windows, 'America/New_York', at('2027-03-14T06:59:59Z'))).toBeNull();
    expect(isInsideWindow(windows, 'America/New_York', at('2027-03-14T07:00:00Z'))).not.toBeNull();
  });

  it('closes a window whose end is in the gap at the first valid instant after it', () => {
    const windows = [window('00:00', '02:30')];
    const [, close] = windowBoundaries(
      windows,
      'America/New_York',
      at('2027-03-14T00:00:00Z'),
      at('2027-03-15T00:00:00Z'),
    );
    expect(close).toMatchObject({ kind: 'close', at: at('2027-03-14T07:00:00Z') });
    expect(isInsideWindow(windows, 'America/New_York', at('2027-03-14T06:59:00Z'))).not.toBeNull();
    expect(isInsideWindow(windows, 'America/New_York', at('2027-03-14T07:00:00Z'))).toBeNull();
  });

  it('drops a window that lies entirely inside the gap', () => {
    const windows = [window('02:00', '02:30')];
    expect(
      windowBoundaries(windows, 'Europe/Paris', at('2027-03-27T12:00:00Z'), at('2027-03-28T12:00:00Z')),
    ).toEqual([]);
    expect(isInsideWindow(windows, 'Europe/Paris', at('2027-03-28T01:00:00Z'))).toBeNull();
  });

  it('closes at the first 01:30 of a fall-back night and stays closed through the repeated hour', () => {
    const windows = [window('22:00', '01:30')];
    const boundaries = windowBoundaries(
      windows,
      'America/New_York',
      at('2027-11-07T03:00:00Z'),
      at('2027-11-07T12:00:00Z'),
    );
    expect(boundaries.map((boundary) => boundary.at.toISOString())).toEqual(['2027-11-07T05:30:00.000Z']);
    expect(isInsideWindow(windows, 'America/New_York', at('2027-11-07T05:29:00Z'))).not.toBeNull();
    // 06:15Z reads 01:15 again on the wall clock; the window has closed and does not reopen.
    expect(isInsideWindow(windows, 'America/New_York', at('2027-11-07T06:15:00Z'))).toBeNull();
  });

  it('opens at the first 01:30 of a fall-back night and stays open through the repeated hour', () => {
    const windows = [window('01:30', '03:00')];
    const boundaries = windowBoundaries(
      windows,
      'America/New_York',
      at('2027-11-07T00:00:00Z'),
      at('2027-11-07T12:00:00Z'),
    );
    expect(boundaries.map((boundary) => boundary.at.toISOString())).toEqual([
      '2027-11-07T05:30:00.000Z',
      '2027-11-07T08:00:00.000Z',
    ]);
    expect(isInsideWindow(windows, 'America/New_York', at('2027-11-07T06:15:00Z'))).not.toBeNull();
  });

  it('keeps a 07:00-19:00 Paris window on local time across the change of offset', () => {
    const boundaries = windowBoundaries(
      [window('07:00', '19:00', 'mon-fri')],
      'Europe/Paris',
      at('2027-03-26T00:00:00Z'),
      at('2027-03-30T00:00:00Z'),
    );
    expect(boundaries.map((boundary) => boundary.at.toISOString())).toEqual([
      '2027-03-26T06:00:00.000Z',
      '2027-03-26T18:00:00.000Z',
      '2027-03-29T05:00:00.000Z',
      '2027-03-29T17:00:00.000Z',
    ]);
  });
});

describe('zoned time', () => {
  const days: [string, string][] = [
    ['America/New_York', '2027-03-14'],
    ['America/New_York', '2027-11-07'],
    ['Europe/Paris', '2027-03-28'],
    ['Europe/Paris', '2027-10-31'],
  ];

  it.each(days)(
    'round-trips every quarter hour of %s on %s, mapping the repeated hour to its first pass',
    (zone, date) => {
      const start = at(`${date}T00:00:00Z`).getTime();
      for (let ms = start; ms < start + 86_400_000; ms += 900_000) {
        const instant = new Date(ms);
        const back = fromWallClock(toWallClock(instant, zone), zone);
        // In the repeated hour the same wall time was already read one hour earlier: that is where it maps.
        const hourEarlier = ms - 3_600_000;
        const repeated =
          toWallClock(new Date(hourEarlier), zone).getTime() === toWallClock(instant, zone).getTime();
        expect(back.getTime()).toBe(repeated ? hourEarlier : ms);
      }
    },
  );

  it('maps a wall time in the gap to the transition and one in the overlap to its first occurrence', () => {
    expect(fromWallClock(at('2027-03-14T02:30:00Z'), 'America/New_York')).toEqual(at('2027-03-14T07:00:00Z'));
    expect(fromWallClock(at('2027-11-07T01:30:00Z'), 'America/New_York')).toEqual(at('2027-11-07T05:30:00Z'));
    expect(fromWallClock(at('2027-10-31T02:30:00Z'), 'Europe/Paris')).toEqual(at('2027-10-31T00:30:00Z'));
  });

  it('gives offsets, local dates and weekdays in the zone', () => {
    expect(offsetAt(at('2027-01-15T12:00:00Z'), 'Europe/Paris')).toBe(3_600_000);
    expect(offsetAt(at('2027-07-15T12:00:00Z'), 'America/New_York')).toBe(-4 * 3_600_000);
    expect(localDate(at('2027-01-15T23:30:00Z'), 'Europe/Paris')).toBe('2027-01-16');
    expect(localWeekday(at('2027-01-16T02:00:00Z'), 'America/New_York')).toBe(5);
  });

  it('starts a day whose midnight is skipped (Havana springs forward at 00:00) at 01:00', () => {
    const start = startOfLocalDay('2027-03-14', 'America/Havana');
    expect(start).toEqual(at('2027-03-14T05:00:00Z'));
    expect(localDate(start, 'America/Havana')).toBe('2027-03-14');
  });

  it('knows which time zones exist', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
