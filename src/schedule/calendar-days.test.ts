import { describe, it, expect } from 'vitest';
import {
  addDays,
  calendarDayEdges,
  daysBetween,
  isCalendarDay,
  isIsoDate,
  weekdayOfDate,
  workspaceCalendars,
} from './calendar-days.ts';
import { at, calendarFixture, calendarMap } from './test-fixtures.ts';

const holidays = calendarFixture('holidays', { '2027-12-25': 'Christmas', '2027-12-26': 'Boxing Day' });
const closures = calendarFixture('closures', ['2027-12-24', '2027-12-25']);

describe('calendar days', () => {
  it('matches the local date of an instant in the workspace’s zone', () => {
    // 23:30Z on the 24th is already the 25th in Paris, still the 24th in New York.
    expect(isCalendarDay([holidays], 'Europe/Paris', at('2027-12-24T23:30:00Z'))).toEqual({
      calendar: 'holidays',
      date: '2027-12-25',
      name: 'Christmas',
    });
    expect(isCalendarDay([holidays], 'America/New_York', at('2027-12-24T23:30:00Z'))).toBeNull();
  });

  it('reports the first calendar that lists the date, and omits a missing entry name', () => {
    expect(isCalendarDay([closures, holidays], 'UTC', at('2027-12-25T12:00:00Z'))).toEqual({
      calendar: 'closures',
      date: '2027-12-25',
    });
  });

  it('is never a calendar day without calendars', () => {
    expect(isCalendarDay([], 'UTC', at('2027-12-25T12:00:00Z'))).toBeNull();
  });

  it('resolves the workspace’s calendar names, skipping unknown ones', () => {
    const all = calendarMap(holidays, closures);
    expect(
      workspaceCalendars({ calendars: ['closures', 'gone', 'holidays'] }, all).map((c) => c.name),
    ).toEqual(['closures', 'holidays']);
  });

  it('lists local midnights where a calendar day starts or ends, without duplicates', () => {
    const edges = calendarDayEdges(
      [holidays, closures],
      'Europe/Paris',
      at('2027-12-01T00:00:00Z'),
      at('2028-01-01T00:00:00Z'),
    );
    expect(edges.map((edge) => edge.toISOString())).toEqual([
      '2027-12-23T23:00:00.000Z',
      '2027-12-24T23:00:00.000Z',
      '2027-12-25T23:00:00.000Z',
      '2027-12-26T23:00:00.000Z',
    ]);
  });
});

describe('date arithmetic', () => {
  it('accepts only real dates', () => {
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2027-02-29')).toBe(false);
    expect(isIsoDate('2027-02-30')).toBe(false);
    expect(isIsoDate('2027-13-01')).toBe(false);
    expect(isIsoDate('2027-1-01')).toBe(false);
  });

  it('adds days across months and years, counts days and names weekdays', () => {
    expect(addDays('2027-12-31', 1)).toBe('2028-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(daysBetween('2027-12-25', '2028-01-01')).toBe(7);
    expect(weekdayOfDate('2027-03-15')).toBe(1);
  });
});
