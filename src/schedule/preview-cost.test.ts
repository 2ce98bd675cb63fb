/**
 * What a preview costs, counted in cron steps (calls of CronExpression.next on the real cron code, wrapped
 * to count them) rather than in time, so the assertions hold on any machine: the work follows what the
 * preview returns, not the length of the range or the number of firings in it.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as CronModule from './cron.ts';
import { nextFirings, upcomingFirings } from './firings.ts';
import { MAX_PREVIEW_DAYS, schedulePreview } from './preview.ts';
import { desiredTimeline } from './timeline.ts';
import { at, calendarMap, workspaceFixture } from './test-fixtures.ts';

const steps = vi.hoisted(() => ({ count: 0 }));

vi.mock('./cron.ts', async (importOriginal) => {
  const original = await importOriginal<typeof CronModule>();
  const parseCron: typeof original.parseCron = (source, timeZone) => {
    const parsed = original.parseCron(source, timeZone);
    if (!parsed.ok) return parsed;
    const { cron } = parsed;
    const next = (after: Date) => {
      steps.count += 1;
      return cron.next(after);
    };
    // `between` walks with `next` (as the real one does), so each of its firings counts as a step.
    const between = (after: Date, until: Date, limit = 10_000) => {
      const firings: Date[] = [];
      for (let at = next(after); at && at <= until && firings.length < limit; at = next(at)) firings.push(at);
      return firings;
    };
    const counted: CronModule.CronExpression = {
      source: cron.source,
      timeZone: cron.timeZone,
      next,
      between,
    };
    return { ok: true, cron: counted };
  };
  return { ...original, parseCron };
});

const noCalendars = calendarMap();
const from = at('2027-03-15T00:00:00Z');

function stepsOf(work: () => unknown): number {
  steps.count = 0;
  work();
  return steps.count;
}

describe('cost of a schedule preview', () => {
  beforeEach(() => {
    steps.count = 0;
  });

  it('costs the same for 90 days as for one of a workspace that flips every minute', () => {
    const blink = workspaceFixture({ deploy: '*/2 * * * *', destroy: '1-59/2 * * * *' });
    const oneDay = stepsOf(() => schedulePreview(blink, noCalendars, { from, days: 1 }));
    const longest = stepsOf(() => schedulePreview(blink, noCalendars, { from, days: MAX_PREVIEW_DAYS }));
    expect(longest).toBe(oneDay);
    // About one step per firing listed and two per segment drawn (1000 of each), plus the state at `from`.
    expect(longest).toBeLessThan(4000);
  });

  it('jumps over the firings of the schedule in force: an every-minute deploy is a handful of steps', () => {
    const busy = workspaceFixture({ deploy: '* * * * *', destroy: '0 0 1 1 *' });
    const range = { from, until: new Date(from.getTime() + MAX_PREVIEW_DAYS * 86_400_000) };
    let timeline: ReturnType<typeof desiredTimeline> | undefined;
    const cost = stepsOf(() => (timeline = desiredTimeline(busy, noCalendars, range)));
    expect(timeline).toMatchObject({ truncated: false, segments: [{ state: 'up' }] });
    expect(cost).toBeLessThan(200);
  });

  it('takes n firings from many busy schedules with about n steps', () => {
    const jobs = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`job${i}`, '* * * * *']));
    const busy = workspaceFixture({ jobs });
    const until = new Date(from.getTime() + 86_400_000);
    const cost = stepsOf(() => upcomingFirings(busy, noCalendars, { after: from, until, limit: 50 }));
    // One step per firing taken, plus one look-ahead per schedule except the one the last firing came from.
    expect(cost).toBe(50 + 10 - 1);
  });

  it('asks each schedule once for the next firing, and asks none again after the last one taken', () => {
    const daily = workspaceFixture({ deploy: '0 8 * * *', destroy: '0 18 * * *' });
    expect(stepsOf(() => nextFirings(daily, noCalendars, from, 1))).toBe(2);
    expect(stepsOf(() => nextFirings(daily, noCalendars, from, 2))).toBe(3);
  });
});
