import { describe, expect, it } from 'vitest';
import { nextFirings } from './firings.ts';
import { NextFiringsCache } from './next-firings-cache.ts';
import { at, calendarFixture, calendarMap, workspaceFixture } from './test-fixtures.ts';

const noCalendars = calendarMap();
const minute = 60_000;

describe('NextFiringsCache', () => {
  it('answers what nextFirings answers every 3 minutes over two days, for edges, windows and calendars', () => {
    const holidays = calendarMap(calendarFixture('holidays', ['2027-03-16']));
    const definitions = [
      workspaceFixture({ deploy: '0 9 * * 1-5', destroy: '0 19 * * 1-5', plan: '*/7 * * * *' }),
      workspaceFixture({
        uptime: [{ days: 'mon-fri', from: '07:00', to: '19:00' }],
        calendars: ['holidays'],
      }),
      workspaceFixture({ deploy: '30 8 * * *', timezone: 'Europe/Paris', calendars: ['holidays'] }),
    ];
    const cache = new NextFiringsCache();
    const start = at('2027-03-15T00:00:00Z').getTime();
    for (let time = start; time <= start + 2 * 1440 * minute; time += 3 * minute) {
      for (const definition of definitions) {
        const now = new Date(time);
        expect(cache.next(definition, holidays, now, 20)).toEqual(nextFirings(definition, holidays, now, 20));
      }
    }
  });

  it('computes once while no firing passes, and again once one has', () => {
    const definition = workspaceFixture({ deploy: '0 9 * * *' });
    const cache = new NextFiringsCache();
    const first = cache.next(definition, noCalendars, at('2027-03-15T00:00:00Z'), 3);
    expect(cache.next(definition, noCalendars, at('2027-03-15T08:59:59Z'), 3)).toBe(first);
    const after = cache.next(definition, noCalendars, at('2027-03-15T09:00:00Z'), 3);
    expect(after).not.toBe(first);
    expect(after[0]?.scheduled_at).toEqual(at('2027-03-16T09:00:00Z'));
  });

  it('recomputes for a new definition, other calendars, another count or a clock that went back', () => {
    const definition = workspaceFixture({ deploy: '0 9 * * *' });
    const cache = new NextFiringsCache();
    const now = at('2027-03-15T00:00:00Z');
    const first = cache.next(definition, noCalendars, now, 3);
    const holidays = calendarMap(calendarFixture('holidays', ['2027-03-15']));
    const reloaded = workspaceFixture({ deploy: '0 10 * * *' });
    expect(cache.next(reloaded, noCalendars, now, 3)[0]?.scheduled_at).toEqual(at('2027-03-15T10:00:00Z'));
    expect(cache.next(definition, holidays, now, 3)).not.toBe(first);
    expect(cache.next(definition, noCalendars, now, 2)).toHaveLength(2);
    const earlier = cache.next(definition, noCalendars, at('2027-03-14T10:00:00Z'), 3);
    expect(earlier[0]?.scheduled_at).toEqual(at('2027-03-15T09:00:00Z'));
    expect(earlier).toEqual(nextFirings(definition, noCalendars, at('2027-03-14T10:00:00Z'), 3));
  });

  it('keeps no short answer: a rare schedule can gain firings as time moves', () => {
    const definition = workspaceFixture({ deploy: '0 0 29 2 *' });
    const cache = new NextFiringsCache();
    const first = cache.next(definition, noCalendars, at('2027-03-15T00:00:00Z'), 20);
    expect(first.length).toBeLessThan(20);
    expect(cache.next(definition, noCalendars, at('2027-03-15T00:00:00Z'), 20)).not.toBe(first);
  });

  it('keeps at most its size of definitions, dropping the least recently asked for', () => {
    const cache = new NextFiringsCache(2);
    const now = at('2027-03-15T00:00:00Z');
    const [a, b, c] = ['0 9 * * *', '0 10 * * *', '0 11 * * *'].map((deploy) => workspaceFixture({ deploy }));
    const first = cache.next(a!, noCalendars, now, 3);
    cache.next(b!, noCalendars, now, 3);
    expect(cache.next(a!, noCalendars, now, 3)).toBe(first);
    cache.next(c!, noCalendars, now, 3);
    const bAgain = cache.next(b!, noCalendars, now, 3);
    expect(cache.next(b!, noCalendars, now, 3)).toBe(bAgain);
    expect(cache.next(a!, noCalendars, now, 3)).not.toBe(first);
  });
});
