import { describe, it, expect } from 'vitest';
import {
  formatLocalTime,
  formatPreviewText,
  MAX_PREVIEW_DAYS,
  PREVIEW_FIRING_LIMIT,
  PREVIEW_SEGMENT_LIMIT,
  previewFromProblem,
  schedulePreview,
} from './preview.ts';
import { at, calendarFixture, calendarMap, workspaceFixture } from './test-fixtures.ts';

// 2027-03-15 is a Monday.
const holidays = calendarMap(calendarFixture('holidays', { '2027-03-17': 'Team day' }));

describe('schedule preview', () => {
  const edges = workspaceFixture({
    name: 'web',
    timezone: 'Europe/Paris',
    deploy: '0 9 * * 1-5',
    destroy: '0 19 * * 1-5',
    modes: { large: '0 12 * * 3' },
    jobs: { report: '0 8 * * 1' },
    calendars: ['holidays'],
  });

  it('returns a JSON-ready object with firings and timeline in UTC and local time', () => {
    const preview = schedulePreview(edges, holidays, { from: at('2027-03-14T23:00:00Z'), days: 3 });
    expect(preview).toMatchObject({
      workspace: 'web',
      timezone: 'Europe/Paris',
      from: '2027-03-14T23:00:00.000Z',
      until: '2027-03-17T23:00:00.000Z',
    });
    expect(preview.firings.slice(0, 2)).toEqual([
      {
        schedule_key: 'jobs.report.schedule[0]',
        action: 'job',
        job: 'report',
        scheduled_at: '2027-03-15T07:00:00.000Z',
        local_time: '2027-03-15 08:00:00 CET',
      },
      {
        schedule_key: 'deploy_schedule[0]',
        action: 'deploy',
        scheduled_at: '2027-03-15T08:00:00.000Z',
        local_time: '2027-03-15 09:00:00 CET',
      },
    ]);
    expect(preview.firings.filter((firing) => firing.skipped)).toEqual([
      expect.objectContaining({ schedule_key: 'deploy_schedule[0]', skipped: 'calendar' }),
      expect.objectContaining({
        schedule_key: 'mode_schedules.large[0]',
        mode: 'large',
        skipped: 'calendar',
      }),
    ]);
    expect(preview.timeline[0]).toEqual({
      start: '2027-03-14T23:00:00.000Z',
      end: '2027-03-15T08:00:00.000Z',
      local_start: '2027-03-15 00:00:00 CET',
      local_end: '2027-03-15 09:00:00 CET',
      state: 'down',
      reason: 'last firing: destroy_schedule[0] (destroy)',
    });
    expect(JSON.parse(JSON.stringify(preview))).toEqual(preview);
  });

  it('includes a firing at exactly "from" and excludes one at "until"', () => {
    const preview = schedulePreview(edges, holidays, { from: at('2027-03-15T08:00:00Z'), days: 1 });
    expect(preview.firings.map((firing) => firing.scheduled_at)).toEqual([
      '2027-03-15T08:00:00.000Z',
      '2027-03-15T18:00:00.000Z',
    ]);
  });

  it('defaults to seven days', () => {
    const preview = schedulePreview(edges, holidays, { from: at('2027-03-15T00:00:00Z') });
    expect(preview.until).toBe('2027-03-22T00:00:00.000Z');
  });

  it('shows the up/down timeline of an uptime workspace with window modes', () => {
    const uptime = workspaceFixture({
      timezone: 'America/New_York',
      uptime: [{ days: 'mon', from: '09:00', to: '17:00', mode: 'small' }],
    });
    const preview = schedulePreview(uptime, holidays, { from: at('2027-03-15T04:00:00Z'), days: 1 });
    expect(preview.firings.map((firing) => [firing.action, firing.mode, firing.local_time])).toEqual([
      ['deploy', 'small', '2027-03-15 09:00:00 EDT'],
      ['destroy', undefined, '2027-03-15 17:00:00 EDT'],
    ]);
    expect(preview.timeline.map((segment) => [segment.state, segment.mode, segment.local_start])).toEqual([
      ['down', undefined, '2027-03-15 00:00:00 EDT'],
      ['up', 'small', '2027-03-15 09:00:00 EDT'],
      ['down', undefined, '2027-03-15 17:00:00 EDT'],
    ]);
  });

  it('cuts a very long list of firings and says so', () => {
    const busy = workspaceFixture({ jobs: { poll: '* * * * *' } });
    const preview = schedulePreview(busy, holidays, { from: at('2027-03-15T00:00:00Z'), days: 1 });
    expect(preview.firings).toHaveLength(PREVIEW_FIRING_LIMIT);
    expect(preview.firings_truncated).toBe(true);
    expect(formatPreviewText(preview)).toContain(`only the first ${PREVIEW_FIRING_LIMIT} firings are shown`);
  });

  it('does not flag a list of exactly as many firings as the limit', () => {
    const busy = workspaceFixture({ jobs: { poll: '* * * * *' } });
    const from = at('2027-03-15T00:00:00Z');
    const days = PREVIEW_FIRING_LIMIT / 1440;
    const preview = schedulePreview(busy, holidays, { from, days });
    expect(preview.firings).toHaveLength(PREVIEW_FIRING_LIMIT);
    expect(preview.firings_truncated).toBeUndefined();
  });

  it('cuts a long timeline where the segment after the limit would start, and says so', () => {
    // Up on even minutes, down on odd ones: a segment a minute.
    const blink = workspaceFixture({ deploy: '*/2 * * * *', destroy: '1-59/2 * * * *' });
    const from = at('2027-03-15T00:00:00Z');
    const preview = schedulePreview(blink, holidays, { from, days: MAX_PREVIEW_DAYS });
    expect(preview.timeline).toHaveLength(PREVIEW_SEGMENT_LIMIT);
    expect(preview.timeline_truncated).toBe(true);
    expect(preview.timeline.at(-1)!.end).toBe(
      new Date(from.getTime() + PREVIEW_SEGMENT_LIMIT * 60_000).toISOString(),
    );
    expect(preview.until).toBe('2027-06-13T00:00:00.000Z');
    expect(formatPreviewText(preview)).toContain(
      `only the first ${PREVIEW_SEGMENT_LIMIT} segments are shown`,
    );
  });

  it('refuses more than MAX_PREVIEW_DAYS days and a start outside the years cron can compute', () => {
    const from = at('2027-03-15T00:00:00Z');
    expect(() => schedulePreview(edges, holidays, { from, days: MAX_PREVIEW_DAYS + 1 })).toThrow(
      'schedule preview: want 1 to 90 days',
    );
    expect(() => schedulePreview(edges, holidays, { from: at('3000-01-01T00:00:00Z') })).toThrow(RangeError);
    expect(previewFromProblem(at('1969-12-31T23:59:59Z'))).toBe(
      'want an instant from 1970-01-01T00:00:00.000Z to 2998-12-01T00:00:00.000Z, got 1969-12-31T23:59:59.000Z',
    );
    expect(previewFromProblem(from)).toBeNull();
  });
});

describe('preview text', () => {
  it('prints a table of firings with local and UTC times, then the timeline', () => {
    const workspace = workspaceFixture({
      name: 'demo',
      timezone: 'Europe/Paris',
      uptime: [{ days: 'mon-fri', from: '07:00', to: '19:00' }],
      calendars: ['holidays'],
    });
    const text = formatPreviewText(
      schedulePreview(workspace, holidays, { from: at('2027-03-14T23:00:00Z'), days: 3 }),
    );
    expect(text).toContain('Schedule preview for demo (Europe/Paris)');
    expect(text).toContain('From 2027-03-15 00:00:00 CET (2027-03-14T23:00:00.000Z)');
    expect(text).toMatch(/2027-03-15 07:00:00 CET {2}2027-03-15T06:00:00\.000Z {2}deploy +uptime\[0\]/);
    expect(text).toMatch(
      /2027-03-17 07:00:00 CET {2}2027-03-17 19:00:00 CET {2}down +calendar day \(holidays: 2027-03-17 Team day\)/,
    );
    expect(text.indexOf('Firings')).toBeLessThan(text.indexOf('Desired state'));
  });

  it('says when there are no firings', () => {
    const text = formatPreviewText(
      schedulePreview(workspaceFixture(), holidays, { from: at('2027-03-15T00:00:00Z') }),
    );
    expect(text).toMatch(/Firings\n {2}\(none\)/);
    expect(text).toMatch(/none +no deploy, destroy or mode schedule/);
  });
});

describe('local time labels', () => {
  it.each([
    ['Europe/Paris', '2027-01-15T12:00:00Z', '2027-01-15 13:00:00 CET'],
    ['Europe/Paris', '2027-07-15T12:00:00Z', '2027-07-15 14:00:00 CEST'],
    ['America/New_York', '2027-01-15T12:00:00Z', '2027-01-15 07:00:00 EST'],
    ['UTC', '2027-01-15T12:00:00Z', '2027-01-15 12:00:00 UTC'],
    ['Asia/Kolkata', '2027-01-15T12:00:00Z', '2027-01-15 17:30:00 +05:30'],
    ['America/Sao_Paulo', '2027-01-15T12:00:00Z', '2027-01-15 09:00:00 -03:00'],
  ])('shows %s at %s as %s', (zone, iso, expected) => {
    expect(formatLocalTime(at(iso), zone)).toBe(expected);
  });
});

describe('schedule preview as text', () => {
  const base = {
    workspace: 'web',
    timezone: 'UTC',
    from: '2027-03-15T00:00:00.000Z',
    until: '2027-03-16T00:00:00.000Z',
  };

  it('lists the overrides in force, with their action and reason, and names the override that skips a firing', () => {
    const text = formatPreviewText({
      ...base,
      firings: [
        {
          schedule_key: 'destroy_schedule:0 19 * * *',
          action: 'destroy',
          scheduled_at: '2027-03-15T19:00:00.000Z',
          local_time: '2027-03-15 19:00:00 UTC',
          skipped: 'override',
          override_id: 'ov-1',
        },
      ],
      timeline: [
        {
          start: '2027-03-15T00:00:00.000Z',
          end: '2027-03-16T00:00:00.000Z',
          local_start: '2027-03-15 00:00:00 UTC',
          local_end: '2027-03-16 00:00:00 UTC',
          state: 'up',
          mode: 'large',
          reason: 'override ov-1',
        },
      ],
      overrides: [
        {
          id: 'ov-1',
          kind: 'keep_up_until',
          action: null,
          start: '2027-03-15T00:00:00.000Z',
          end: '2027-03-16T00:00:00.000Z',
          local_start: '2027-03-15 00:00:00 UTC',
          local_end: '2027-03-16 00:00:00 UTC',
          reason: 'demo',
        },
        {
          id: 'ov-2',
          kind: 'skip_next',
          action: 'deploy',
          start: '2027-03-15T06:00:00.000Z',
          end: '2027-03-15T07:00:00.000Z',
          local_start: '2027-03-15 06:00:00 UTC',
          local_end: '2027-03-15 07:00:00 UTC',
          reason: null,
        },
      ],
    });
    expect(text).toContain('destroy            destroy_schedule:0 19 * * *  skipped (override ov-1)');
    expect(text).toContain('up     large  override ov-1');
    const overrides = text.slice(text.indexOf('Overrides'));
    expect(overrides.split('\n').slice(1, 4)).toEqual([
      '  FROM                     UNTIL                    KIND              ID    REASON',
      '  2027-03-15 00:00:00 UTC  2027-03-16 00:00:00 UTC  keep_up_until     ov-1  demo',
      '  2027-03-15 06:00:00 UTC  2027-03-15 07:00:00 UTC  skip_next deploy  ov-2',
    ]);
  });

  it('says when there are no firings and the range is empty, and shows no overrides section without any', () => {
    const text = formatPreviewText({ ...base, until: base.from, firings: [], timeline: [], overrides: [] });
    expect(text).toContain('Firings\n  (none)\n');
    expect(text).toContain('Desired state\n  (empty range)\n');
    expect(text).not.toContain('Overrides');
  });
});
