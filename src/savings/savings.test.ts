import { describe, expect, it } from 'vitest';
import { bucketBoundaries, computeSavings, downIntervals, type LifecycleEvent } from './savings.ts';

const at = (iso: string): number => Date.parse(iso);
const deploy = (iso: string): LifecycleEvent => ({ action: 'deploy', finishedAt: at(iso) });
const destroy = (iso: string): LifecycleEvent => ({ action: 'destroy', finishedAt: at(iso) });
const hours = (intervals: { start: number; end: number }[]): number =>
  intervals.reduce((sum, i) => sum + i.end - i.start, 0) / 3_600_000;

describe('downIntervals', () => {
  it('counts from a destroy to the next deploy, and from the last destroy to the end of the period', () => {
    const events = [
      deploy('2025-03-03T07:00:00Z'),
      destroy('2025-03-03T19:00:00Z'),
      deploy('2025-03-04T07:00:00Z'),
      destroy('2025-03-04T19:00:00Z'),
    ];
    const intervals = downIntervals(events, at('2025-03-03T00:00:00Z'), at('2025-03-05T00:00:00Z'));
    expect(intervals).toEqual([
      { start: at('2025-03-03T19:00:00Z'), end: at('2025-03-04T07:00:00Z') },
      { start: at('2025-03-04T19:00:00Z'), end: at('2025-03-05T00:00:00Z') },
    ]);
  });

  it('starts the period down when the last event before it was a destroy', () => {
    const events = [
      deploy('2025-03-01T07:00:00Z'),
      destroy('2025-03-01T19:00:00Z'),
      deploy('2025-03-03T07:00:00Z'),
    ];
    // Down since Saturday 19:00; the period starts Monday 00:00: 7 hours until the deploy.
    expect(hours(downIntervals(events, at('2025-03-03T00:00:00Z'), at('2025-03-04T00:00:00Z')))).toBe(7);
  });

  it('counts nothing for a workspace never deployed, nor before its first succeeded deploy', () => {
    expect(downIntervals([], at('2025-03-03T00:00:00Z'), at('2025-03-10T00:00:00Z'))).toEqual([]);
    // A destroy before any deploy (e.g. of a never-deployed workspace) does not start a down interval.
    const events = [
      destroy('2025-03-03T01:00:00Z'),
      deploy('2025-03-03T10:00:00Z'),
      destroy('2025-03-03T20:00:00Z'),
    ];
    expect(hours(downIntervals(events, at('2025-03-03T00:00:00Z'), at('2025-03-04T00:00:00Z')))).toBe(4);
  });

  it('keeps the first destroy of a run of destroys and ignores events at or after the end', () => {
    const events = [
      deploy('2025-03-03T00:00:00Z'),
      destroy('2025-03-03T10:00:00Z'),
      destroy('2025-03-03T12:00:00Z'),
      deploy('2025-03-03T14:00:00Z'),
      deploy('2025-03-03T15:00:00Z'),
      destroy('2025-03-04T00:00:00Z'),
    ];
    expect(downIntervals(events, at('2025-03-03T00:00:00Z'), at('2025-03-04T00:00:00Z'))).toEqual([
      { start: at('2025-03-03T10:00:00Z'), end: at('2025-03-03T14:00:00Z') },
    ]);
  });
});

describe('bucketBoundaries', () => {
  it('aligns days, ISO weeks (Monday) and months in UTC and covers the whole period', () => {
    expect(
      bucketBoundaries('day', at('2025-03-03T12:00:00Z'), at('2025-03-04T01:00:00Z')).map((b) =>
        new Date(b).toISOString(),
      ),
    ).toEqual(['2025-03-03T00:00:00.000Z', '2025-03-04T00:00:00.000Z', '2025-03-05T00:00:00.000Z']);
    // 2025-03-09 is a Sunday: its week starts Monday 2025-03-03.
    expect(
      bucketBoundaries('week', at('2025-03-09T23:00:00Z'), at('2025-03-10T00:00:00Z')).map((b) =>
        new Date(b).toISOString(),
      ),
    ).toEqual(['2025-03-03T00:00:00.000Z', '2025-03-10T00:00:00.000Z']);
    expect(
      bucketBoundaries('month', at('2024-12-15T00:00:00Z'), at('2025-02-01T00:00:00Z')).map((b) =>
        new Date(b).toISOString(),
      ),
    ).toEqual(['2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z']);
  });
});

describe('computeSavings', () => {
  it('splits an interval across bucket boundaries and sums workspaces into the total', () => {
    const report = computeSavings(
      [
        {
          workspace: 'web',
          hourlyCost: 0.5,
          events: [
            deploy('2025-03-03T00:00:00Z'),
            destroy('2025-03-03T20:00:00Z'),
            deploy('2025-03-04T06:00:00Z'),
          ],
        },
        {
          workspace: 'api',
          hourlyCost: 2,
          events: [deploy('2025-03-02T00:00:00Z'), destroy('2025-03-04T00:00:00Z')],
        },
      ],
      { since: at('2025-03-03T00:00:00Z'), until: at('2025-03-05T00:00:00Z'), bucket: 'day' },
    );
    expect(report.workspaces.map((w) => w.workspace)).toEqual(['api', 'web']);
    const web = report.workspaces.find((w) => w.workspace === 'web')!;
    // 20:00–24:00 on the 3rd (4 h) and 00:00–06:00 on the 4th (6 h): 10 h × 0.5.
    expect(web.buckets.map((b) => b.down_hours)).toEqual([4, 6]);
    expect(web).toMatchObject({ down_hours: 10, saved: 5 });
    // api: down all of the 4th: 24 h × 2 = 48.
    expect(report.total).toEqual({
      down_hours: 34,
      saved: 53,
      buckets: [
        { start: '2025-03-03T00:00:00.000Z', end: '2025-03-04T00:00:00.000Z', down_hours: 4, saved: 2 },
        { start: '2025-03-04T00:00:00.000Z', end: '2025-03-05T00:00:00.000Z', down_hours: 30, saved: 51 },
      ],
    });
  });
});
