import { describe, expect, it } from 'vitest';
import { placeInstant, placeSpan, weekOf } from './timeline-geometry';

describe('the week grid', () => {
  // 2027-03-15 is a Monday; at 10:30 UTC it is 11:30 in Paris (CET, UTC+1).
  const now = Date.parse('2027-03-15T10:30:00Z');
  const week = weekOf(now, 'Europe/Paris');

  it('starts two local days back, at local midnight', () => {
    expect(week.firstDate).toBe('2027-03-13');
    expect(week.fromIso).toBe('2027-03-12T23:00:00.000Z');
  });

  it('places an instant on its local day and hour', () => {
    expect(placeInstant('2027-03-15T10:30:00Z', week)).toEqual({ day: 2, hours: 11.5 });
    expect(placeInstant('2027-03-12T22:59:00Z', week)).toBeNull();
    expect(placeInstant('2027-03-20T00:00:00Z', week)).toBeNull();
  });

  it('cuts a span at each local midnight, and drops what falls outside the week', () => {
    expect(placeSpan('2027-03-15T17:00:00Z', '2027-03-16T07:00:00Z', week)).toEqual([
      { day: 2, from: 18, to: 24 },
      { day: 3, from: 0, to: 8 },
    ]);
    expect(placeSpan('2027-03-10T00:00:00Z', '2027-03-13T01:00:00Z', week)).toEqual([
      { day: 0, from: 0, to: 2 },
    ]);
  });

  it('draws a DST day as the zone lives it: after the spring change, 08:00 local is 06:00 UTC', () => {
    // Europe/Paris moves to CEST on 2027-03-28.
    const late = weekOf(Date.parse('2027-03-29T10:00:00Z'), 'Europe/Paris');
    expect(placeInstant('2027-03-29T06:00:00Z', late)).toEqual({ day: 2, hours: 8 });
    expect(placeInstant('2027-03-27T07:00:00Z', late)).toEqual({ day: 0, hours: 8 });
  });
});
