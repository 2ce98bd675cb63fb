import { describe, expect, it } from 'vitest';
import { formatInZone, formatTimeInZone, wallClock } from './time';

describe('times shown in a zone', () => {
  it('show the minute the formatter reads, even where hours + minutes / 60 rounds below it (21:49:00)', () => {
    // 21 + 49/60 is 21.81666…, and (21.81666… − 21) × 60 is 48.999…: a label rebuilt from it says 21:48.
    expect(formatTimeInZone('2026-12-01T21:49:00.000Z', 'UTC')).toBe('21:49');
    for (let minute = 0; minute < 60; minute++) {
      const mm = String(minute).padStart(2, '0');
      expect(formatTimeInZone(`2026-12-01T07:${mm}:00.000Z`, 'UTC')).toBe(`07:${mm}`);
    }
  });

  it('write the date, time and zone name in the zone', () => {
    expect(formatInZone('2027-03-15T06:00:30.000Z', 'Europe/Paris')).toBe('2027-03-15 07:00 CET');
    expect(wallClock(new Date('2027-03-15T06:30:00.000Z'), 'Europe/Paris')).toMatchObject({
      date: '2027-03-15',
      hours: 7.5,
      time: '07:30',
    });
  });
});
