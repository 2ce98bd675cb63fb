import { describe, it, expect } from 'vitest';
import type { UptimeWindow } from './schedule-model.ts';
import { at } from './test-fixtures.ts';
import { isInsideWindow, weekdaysOf, windowBoundaries, windowOccurrence } from './windows.ts';

// 2027-03-15 is a Monday.
function windows(...specs: Omit<UptimeWindow, 'key'>[]): UptimeWindow[] {
  return specs.map((spec, index) => ({ ...spec, key: `uptime[${index}]` }));
}

function inside(list: readonly UptimeWindow[], iso: string, zone = 'UTC'): string | null {
  return isInsideWindow(list, zone, at(iso))?.window.key ?? null;
}

function boundaries(list: readonly UptimeWindow[], after: string, until: string, zone = 'UTC'): string[] {
  return windowBoundaries(list, zone, at(after), at(until)).map(
    (boundary) => `${boundary.kind} ${boundary.window.key} ${boundary.at.toISOString()}`,
  );
}

describe('window days', () => {
  it('reads cron day-of-week syntax: names, ranges, lists, numbers and *', () => {
    expect([...weekdaysOf('mon-fri')]).toEqual([1, 2, 3, 4, 5]);
    expect([...weekdaysOf('sat,sun')]).toEqual([0, 6]);
    expect([...weekdaysOf('*')]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...weekdaysOf('1,3,7')]).toEqual([0, 1, 3]);
  });

  it('refuses days that config validation would have rejected', () => {
    expect(() => weekdaysOf('someday')).toThrow(/invalid uptime days/);
  });
});

describe('same-day windows', () => {
  const weekdays = windows({ days: 'mon-fri', from: '07:00', to: '19:00' });

  it('contains instants from "from" up to, not including, "to" on listed days', () => {
    expect(inside(weekdays, '2027-03-15T06:59:59Z')).toBeNull();
    expect(inside(weekdays, '2027-03-15T07:00:00Z')).toBe('uptime[0]');
    expect(inside(weekdays, '2027-03-15T18:59:59Z')).toBe('uptime[0]');
    expect(inside(weekdays, '2027-03-15T19:00:00Z')).toBeNull();
  });

  it('stays closed on days that are not listed', () => {
    expect(inside(weekdays, '2027-03-20T10:00:00Z')).toBeNull();
  });

  it('reports the occurrence it matched', () => {
    const match = isInsideWindow(weekdays, 'Europe/Paris', at('2027-03-15T10:00:00Z'));
    expect(match).toMatchObject({
      opensAt: at('2027-03-15T06:00:00Z'),
      closesAt: at('2027-03-15T18:00:00Z'),
    });
    expect(match?.mode).toBeUndefined();
  });

  it('lists opens and closes in order within (after, until]', () => {
    expect(boundaries(weekdays, '2027-03-19T07:00:00Z', '2027-03-22T07:00:00Z')).toEqual([
      'close uptime[0] 2027-03-19T19:00:00.000Z',
      'open uptime[0] 2027-03-22T07:00:00.000Z',
    ]);
  });
});

describe('overnight windows', () => {
  const nights = windows({ days: 'fri', from: '22:00', to: '06:00' });

  it('contains the evening of a listed day and the morning after', () => {
    expect(inside(nights, '2027-03-19T21:59:00Z')).toBeNull();
    expect(inside(nights, '2027-03-19T22:00:00Z')).toBe('uptime[0]');
    expect(inside(nights, '2027-03-20T05:59:00Z')).toBe('uptime[0]');
    expect(inside(nights, '2027-03-20T06:00:00Z')).toBeNull();
  });

  it('does not contain the morning of a listed day (that belongs to the day before)', () => {
    expect(inside(nights, '2027-03-19T05:00:00Z')).toBeNull();
  });

  it('closes on the next day', () => {
    expect(boundaries(nights, '2027-03-19T00:00:00Z', '2027-03-21T00:00:00Z')).toEqual([
      'open uptime[0] 2027-03-19T22:00:00.000Z',
      'close uptime[0] 2027-03-20T06:00:00.000Z',
    ]);
  });

  it('finds a close that falls in range when the window opened before it', () => {
    expect(boundaries(nights, '2027-03-20T00:00:00Z', '2027-03-21T00:00:00Z')).toEqual([
      'close uptime[0] 2027-03-20T06:00:00.000Z',
    ]);
  });
});

describe('windows ending at 24:00', () => {
  const evenings = windows({ days: 'mon', from: '18:00', to: '24:00' });

  it('closes at the next day’s midnight', () => {
    expect(inside(evenings, '2027-03-15T23:59:59Z')).toBe('uptime[0]');
    expect(inside(evenings, '2027-03-16T00:00:00Z')).toBeNull();
    expect(windowOccurrence(evenings[0]!, '2027-03-15', 'UTC')?.closesAt).toEqual(at('2027-03-16T00:00:00Z'));
  });

  it('makes a whole-day window (00:00 to 24:00) cover the day', () => {
    const allDay = windows({ days: 'sat,sun', from: '00:00', to: '24:00' });
    expect(inside(allDay, '2027-03-20T00:00:00Z')).toBe('uptime[0]');
    expect(inside(allDay, '2027-03-21T23:59:59Z')).toBe('uptime[0]');
    expect(inside(allDay, '2027-03-22T00:00:00Z')).toBeNull();
  });
});

describe('several windows', () => {
  const shifts = windows(
    { days: 'mon-fri', from: '07:00', to: '19:00', mode: 'small' },
    { days: 'wed', from: '09:00', to: '17:00', mode: 'large' },
    { days: 'sat', from: '10:00', to: '12:00' },
  );

  it('matches whichever window contains the instant, with its mode', () => {
    expect(isInsideWindow(shifts, 'UTC', at('2027-03-15T08:00:00Z'))?.mode).toBe('small');
    expect(isInsideWindow(shifts, 'UTC', at('2027-03-20T11:00:00Z'))?.window.key).toBe('uptime[2]');
  });

  it('lets the most recently opened of two overlapping windows decide', () => {
    expect(isInsideWindow(shifts, 'UTC', at('2027-03-17T08:00:00Z'))?.mode).toBe('small');
    expect(isInsideWindow(shifts, 'UTC', at('2027-03-17T10:00:00Z'))?.mode).toBe('large');
    expect(isInsideWindow(shifts, 'UTC', at('2027-03-17T17:30:00Z'))?.mode).toBe('small');
  });

  it('lists the boundaries of every window, closes before opens at the same instant', () => {
    const touching = windows(
      { days: '*', from: '08:00', to: '12:00' },
      { days: '*', from: '12:00', to: '13:00' },
    );
    expect(boundaries(touching, '2027-03-15T00:00:00Z', '2027-03-15T23:00:00Z')).toEqual([
      'open uptime[0] 2027-03-15T08:00:00.000Z',
      'close uptime[0] 2027-03-15T12:00:00.000Z',
      'open uptime[1] 2027-03-15T12:00:00.000Z',
      'close uptime[1] 2027-03-15T13:00:00.000Z',
    ]);
  });
});
