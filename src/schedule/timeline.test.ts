import { describe, it, expect } from 'vitest';
import { desiredStateAt } from './desired-state.ts';
import type { TimelineSegment } from './timeline.ts';
import { defaultTimelineLimits, desiredTimeline } from './timeline.ts';
import type { WorkspaceFixtureOptions } from './test-fixtures.ts';
import { at, calendarFixture, calendarMap, workspaceFixture } from './test-fixtures.ts';

// 2027-03-15 is a Monday. Paris is UTC+1 until 2027-03-28, UTC+2 after.
function timeline(options: WorkspaceFixtureOptions, from: string, until: string, calendars = calendarMap()) {
  return desiredTimeline(workspaceFixture(options), calendars, { from: at(from), until: at(until) }).segments;
}

function brief(segments: readonly TimelineSegment[]): string[] {
  return segments.map(
    (segment) =>
      `${segment.start.toISOString()} ${segment.end.toISOString()} ${segment.state}${segment.mode ? `:${segment.mode}` : ''}`,
  );
}

describe('desired-state timeline', () => {
  const office: WorkspaceFixtureOptions = {
    timezone: 'Europe/Paris',
    uptime: [{ days: 'mon-fri', from: '07:00', to: '19:00' }],
    calendars: ['holidays'],
  };

  it('covers the range with contiguous segments', () => {
    const segments = timeline(office, '2027-03-15T00:00:00Z', '2027-03-22T00:00:00Z');
    expect(segments[0]!.start).toEqual(at('2027-03-15T00:00:00Z'));
    expect(segments.at(-1)!.end).toEqual(at('2027-03-22T00:00:00Z'));
    segments.slice(1).forEach((segment, index) => expect(segment.start).toEqual(segments[index]!.end));
    expect(segments).toHaveLength(11);
  });

  it('closes the window on a calendar day and says why', () => {
    const holidays = calendarMap(calendarFixture('holidays', { '2027-03-16': 'Team day' }));
    const segments = timeline(office, '2027-03-14T23:00:00Z', '2027-03-17T23:00:00Z', holidays);
    expect(brief(segments)).toEqual([
      '2027-03-14T23:00:00.000Z 2027-03-15T06:00:00.000Z down',
      '2027-03-15T06:00:00.000Z 2027-03-15T18:00:00.000Z up',
      '2027-03-15T18:00:00.000Z 2027-03-16T06:00:00.000Z down',
      '2027-03-16T06:00:00.000Z 2027-03-16T18:00:00.000Z down',
      '2027-03-16T18:00:00.000Z 2027-03-17T06:00:00.000Z down',
      '2027-03-17T06:00:00.000Z 2027-03-17T18:00:00.000Z up',
      '2027-03-17T18:00:00.000Z 2027-03-17T23:00:00.000Z down',
    ]);
    expect(segments[3]!.reason).toBe('calendar day (holidays: 2027-03-16 Team day) closes uptime[0]');
    expect(segments[2]!.reason).toBe('outside uptime windows');
  });

  it('follows local time across the spring-forward weekend', () => {
    expect(brief(timeline(office, '2027-03-26T12:00:00Z', '2027-03-29T12:00:00Z'))).toEqual([
      '2027-03-26T12:00:00.000Z 2027-03-26T18:00:00.000Z up',
      '2027-03-26T18:00:00.000Z 2027-03-29T05:00:00.000Z down',
      '2027-03-29T05:00:00.000Z 2027-03-29T12:00:00.000Z up',
    ]);
  });

  it('keeps touching windows as separate segments of the same state, one reason each', () => {
    const weekend = {
      uptime: [
        { days: 'fri', from: '20:00', to: '24:00' },
        { days: 'sat', from: '00:00', to: '24:00' },
      ],
    };
    const segments = timeline(weekend, '2027-03-19T00:00:00Z', '2027-03-21T12:00:00Z');
    expect(brief(segments)).toEqual([
      '2027-03-19T00:00:00.000Z 2027-03-19T20:00:00.000Z down',
      '2027-03-19T20:00:00.000Z 2027-03-20T00:00:00.000Z up',
      '2027-03-20T00:00:00.000Z 2027-03-21T00:00:00.000Z up',
      '2027-03-21T00:00:00.000Z 2027-03-21T12:00:00.000Z down',
    ]);
    // Different windows are different reasons: both stay visible, but no firing happens between them.
    expect(segments[1]!.reason).not.toBe(segments[2]!.reason);
  });

  it('draws edge workspaces from their firings, starting from the state at "from"', () => {
    const edges = { deploy: '0 9 * * 1-5', destroy: '0 19 * * 1-5', modes: { large: '0 12 * * 3' } };
    expect(brief(timeline(edges, '2027-03-17T10:00:00Z', '2027-03-18T12:00:00Z'))).toEqual([
      '2027-03-17T10:00:00.000Z 2027-03-17T12:00:00.000Z up',
      '2027-03-17T12:00:00.000Z 2027-03-17T19:00:00.000Z up:large',
      '2027-03-17T19:00:00.000Z 2027-03-18T09:00:00.000Z down',
      '2027-03-18T09:00:00.000Z 2027-03-18T12:00:00.000Z up',
    ]);
  });

  it('merges repeated firings of the same schedule into one segment', () => {
    expect(brief(timeline({ deploy: '0 9 * * *' }, '2027-03-15T00:00:00Z', '2027-03-22T00:00:00Z'))).toEqual([
      '2027-03-15T00:00:00.000Z 2027-03-22T00:00:00.000Z up',
    ]);
  });

  it('ignores deploys skipped on calendar days and lets the last firing at an instant decide', () => {
    const holidays = calendarMap(calendarFixture('holidays', ['2027-03-16']));
    const edges = { deploy: '0 9 * * *', destroy: ['0 19 * * *', '0 9 * * 3'], calendars: ['holidays'] };
    expect(brief(timeline(edges, '2027-03-15T12:00:00Z', '2027-03-17T12:00:00Z', holidays))).toEqual([
      '2027-03-15T12:00:00.000Z 2027-03-15T19:00:00.000Z up',
      '2027-03-15T19:00:00.000Z 2027-03-17T09:00:00.000Z down',
      '2027-03-17T09:00:00.000Z 2027-03-17T12:00:00.000Z up',
    ]);
  });

  it('is one "none" segment for a workspace without deploy or destroy schedules', () => {
    expect(
      timeline({ jobs: { report: '0 7 * * *' } }, '2027-03-15T00:00:00Z', '2027-03-16T00:00:00Z'),
    ).toEqual([
      {
        start: at('2027-03-15T00:00:00Z'),
        end: at('2027-03-16T00:00:00Z'),
        state: 'none',
        reason: 'no deploy, destroy or mode schedule',
      },
    ]);
  });

  // Each from a Monday morning through a calendar day (Wednesday 17 March, Sunday 28 March: spring forward).
  it.each<[string, WorkspaceFixtureOptions, string]>([
    [
      'ties between deploy, destroy and two modes',
      {
        timezone: 'Europe/Paris',
        deploy: ['0 9 * * *', '0 12 * * 3'],
        destroy: ['0 19 * * *', '0 9 * * 3', '0 12 * * *'],
        modes: { large: '0 12 * * *', small: ['0 12 * * 3', '30 13 * * *'] },
        calendars: ['holidays'],
      },
      '2027-03-15T10:30:00Z',
    ],
    [
      'deploys skipped on calendar days, across the spring-forward night',
      {
        timezone: 'Europe/Paris',
        deploy: '*/30 1-3 * * *',
        destroy: '15 2,5 * * *',
        calendars: ['holidays'],
      },
      '2027-03-26T10:30:00Z',
    ],
  ])(
    'agrees with desiredStateAt at the start and the last instant of every segment: %s',
    (_, options, from) => {
      const holidays = calendarMap(calendarFixture('holidays', ['2027-03-17', '2027-03-28']));
      const definition = workspaceFixture(options);
      const range = { from: at(from), until: new Date(at(from).getTime() + 4 * 86_400_000) };
      const { segments, truncated } = desiredTimeline(definition, holidays, range);
      expect(truncated).toBe(false);
      expect(segments.length).toBeGreaterThan(8);
      for (const segment of segments) {
        for (const instant of [segment.start, new Date(segment.end.getTime() - 1)]) {
          const expected = desiredStateAt(definition, holidays, instant);
          expect([segment.state, segment.mode, segment.reason], instant.toISOString()).toEqual([
            expected.state,
            expected.mode,
            expected.reason,
          ]);
        }
      }
    },
  );

  it('stops after its step limit when another schedule keeps losing ties, and says so', () => {
    // Every other second the destroy fires with the deploy, which wins: each is a step that changes nothing.
    const definition = workspaceFixture({ deploy: '* * * * * *', destroy: '*/2 * * * * *' });
    const range = { from: at('2027-03-15T00:00:00Z'), until: at('2027-06-13T00:00:00Z') };
    const timeline = desiredTimeline(definition, calendarMap(), range, { segments: 1000, steps: 100 });
    expect(brief(timeline.segments)).toEqual(['2027-03-15T00:00:00.000Z 2027-03-15T00:03:20.000Z up']);
    expect(timeline.truncated).toBe(true);
    expect(defaultTimelineLimits.steps).toBeGreaterThan(defaultTimelineLimits.segments);
  });

  it('is empty for an empty range', () => {
    expect(timeline(office, '2027-03-15T00:00:00Z', '2027-03-15T00:00:00Z')).toEqual([]);
  });
});
