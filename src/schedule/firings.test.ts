import { describe, it, expect } from 'vitest';
import type { Firing } from './firings.ts';
import { nextFirings, upcomingFirings } from './firings.ts';
import { at, calendarFixture, calendarMap, workspaceFixture } from './test-fixtures.ts';

// 2027-03-15 is a Monday.
const noCalendars = calendarMap();

function describeFirings(firings: readonly Firing[]): string[] {
  return firings.map((firing) => {
    const extras = [firing.mode, firing.job, firing.skip && `skip:${firing.skip}`].filter(Boolean).join(' ');
    return `${firing.scheduled_at.toISOString()} ${firing.action} ${firing.schedule_key}${extras ? ` ${extras}` : ''}`;
  });
}

function between(
  definition: Parameters<typeof upcomingFirings>[0],
  after: string,
  until: string,
  calendars = noCalendars,
) {
  return describeFirings(upcomingFirings(definition, calendars, { after: at(after), until: at(until) }));
}

describe('edge firings', () => {
  it('merges every schedule of the workspace into one sorted list', () => {
    const workspace = workspaceFixture({
      deploy: '0 9 * * 1-5',
      destroy: '0 19 * * 1-5',
      modes: { large: '0 12 * * 3' },
      plan: '0 6 * * 1',
      jobs: { backup: '30 2 * * *' },
    });
    expect(between(workspace, '2027-03-15T00:00:00Z', '2027-03-15T23:59:00Z')).toEqual([
      '2027-03-15T02:30:00.000Z job jobs.backup.schedule[0] backup',
      '2027-03-15T06:00:00.000Z plan plan_schedule[0]',
      '2027-03-15T09:00:00.000Z deploy deploy_schedule[0]',
      '2027-03-15T19:00:00.000Z destroy destroy_schedule[0]',
    ]);
    expect(between(workspace, '2027-03-17T11:00:00Z', '2027-03-17T13:00:00Z')).toEqual([
      '2027-03-17T12:00:00.000Z deploy mode_schedules.large[0] large',
    ]);
  });

  it('excludes "after" and includes "until"', () => {
    const workspace = workspaceFixture({ deploy: '0 9 * * *' });
    expect(between(workspace, '2027-03-15T09:00:00Z', '2027-03-16T09:00:00Z')).toEqual([
      '2027-03-16T09:00:00.000Z deploy deploy_schedule[0]',
    ]);
  });

  it('orders firings at the same instant destroy, deploy, plan, job, then by schedule order', () => {
    const workspace = workspaceFixture({
      jobs: { report: '0 9 * * *' },
      plan: '0 9 * * *',
      modes: { small: '0 9 * * *', large: '0 9 * * *' },
      deploy: '0 9 * * *',
      destroy: '0 9 * * *',
    });
    expect(between(workspace, '2027-03-15T08:00:00Z', '2027-03-15T10:00:00Z')).toEqual([
      '2027-03-15T09:00:00.000Z destroy destroy_schedule[0]',
      '2027-03-15T09:00:00.000Z deploy deploy_schedule[0]',
      '2027-03-15T09:00:00.000Z deploy mode_schedules.small[0] small',
      '2027-03-15T09:00:00.000Z deploy mode_schedules.large[0] large',
      '2027-03-15T09:00:00.000Z plan plan_schedule[0]',
      '2027-03-15T09:00:00.000Z job jobs.report.schedule[0] report',
    ]);
  });

  it('keeps the earliest firings when a limit cuts the list', () => {
    const workspace = workspaceFixture({ deploy: '*/10 * * * *', destroy: '5 * * * *' });
    const firings = upcomingFirings(workspace, noCalendars, {
      after: at('2027-03-15T00:00:00Z'),
      until: at('2027-03-16T00:00:00Z'),
      limit: 3,
    });
    expect(describeFirings(firings)).toEqual([
      '2027-03-15T00:05:00.000Z destroy destroy_schedule[0]',
      '2027-03-15T00:10:00.000Z deploy deploy_schedule[0]',
      '2027-03-15T00:20:00.000Z deploy deploy_schedule[0]',
    ]);
  });

  it('lists nothing for a schedule set to false (no entries)', () => {
    expect(
      between(workspaceFixture({ deploy: [], destroy: [] }), '2027-03-15T00:00:00Z', '2027-03-22T00:00:00Z'),
    ).toEqual([]);
  });
});

describe('calendar days and edge firings', () => {
  const holidays = calendarMap(calendarFixture('holidays', { '2027-03-17': 'Closed' }));
  const workspace = workspaceFixture({
    timezone: 'Europe/Paris',
    deploy: '0 9 * * *',
    destroy: '0 19 * * *',
    modes: { large: '0 12 * * *' },
    jobs: { report: '0 10 * * *' },
    calendars: ['holidays'],
  });

  it('marks deploys and mode deploys on a calendar day as skipped, never destroys or jobs', () => {
    expect(between(workspace, '2027-03-17T00:00:00Z', '2027-03-17T23:00:00Z', holidays)).toEqual([
      '2027-03-17T08:00:00.000Z deploy deploy_schedule[0] skip:calendar',
      '2027-03-17T09:00:00.000Z job jobs.report.schedule[0] report',
      '2027-03-17T11:00:00.000Z deploy mode_schedules.large[0] large skip:calendar',
      '2027-03-17T18:00:00.000Z destroy destroy_schedule[0]',
    ]);
  });

  it('judges the calendar day in the workspace’s zone', () => {
    const lateDeploy = workspaceFixture({
      timezone: 'Europe/Paris',
      deploy: '30 0 * * *',
      calendars: ['holidays'],
    });
    // 00:30 Paris on the 18th is 23:30Z on the 17th: not a holiday in Paris.
    expect(between(lateDeploy, '2027-03-16T12:00:00Z', '2027-03-18T12:00:00Z', holidays)).toEqual([
      '2027-03-16T23:30:00.000Z deploy deploy_schedule[0] skip:calendar',
      '2027-03-17T23:30:00.000Z deploy deploy_schedule[0]',
    ]);
  });
});

describe('window firings', () => {
  const weekdays = workspaceFixture({
    timezone: 'Europe/Paris',
    uptime: [{ days: 'mon-fri', from: '07:00', to: '19:00' }],
    calendars: ['holidays'],
  });

  it('deploys when a window opens and destroys when it closes, keyed by the window', () => {
    expect(between(weekdays, '2027-03-15T00:00:00Z', '2027-03-16T00:00:00Z')).toEqual([
      '2027-03-15T06:00:00.000Z deploy uptime[0]',
      '2027-03-15T18:00:00.000Z destroy uptime[0]',
    ]);
  });

  it('leaves out the boundaries of a window on a calendar day', () => {
    const holidays = calendarMap(calendarFixture('holidays', ['2027-03-16']));
    expect(between(weekdays, '2027-03-15T12:00:00Z', '2027-03-17T12:00:00Z', holidays)).toEqual([
      '2027-03-15T18:00:00.000Z destroy uptime[0]',
      '2027-03-17T06:00:00.000Z deploy uptime[0]',
    ]);
  });

  it('destroys at the local midnight a calendar day starts inside an overnight window, and deploys when it ends', () => {
    const nights = workspaceFixture({ uptime: [{ from: '20:00', to: '08:00' }], calendars: ['holidays'] });
    const holidays = calendarMap(calendarFixture('holidays', ['2027-03-16']));
    expect(between(nights, '2027-03-15T12:00:00Z', '2027-03-17T12:00:00Z', holidays)).toEqual([
      '2027-03-15T20:00:00.000Z deploy uptime[0]',
      '2027-03-16T00:00:00.000Z destroy uptime[0]',
      '2027-03-17T00:00:00.000Z deploy uptime[0]',
      '2027-03-17T08:00:00.000Z destroy uptime[0]',
    ]);
  });

  it('switches mode between overlapping windows and fires nothing where windows touch', () => {
    const shifts = workspaceFixture({
      uptime: [
        { from: '07:00', to: '12:00', mode: 'small' },
        { from: '12:00', to: '19:00', mode: 'small' },
        { from: '09:00', to: '11:00', mode: 'large' },
      ],
    });
    expect(between(shifts, '2027-03-15T00:00:00Z', '2027-03-15T23:00:00Z')).toEqual([
      '2027-03-15T07:00:00.000Z deploy uptime[0] small',
      '2027-03-15T09:00:00.000Z deploy uptime[2] large',
      '2027-03-15T11:00:00.000Z deploy uptime[0] small',
      '2027-03-15T19:00:00.000Z destroy uptime[1]',
    ]);
  });

  it('lists job firings of an uptime workspace along with its window firings', () => {
    const withJob = workspaceFixture({
      uptime: [{ from: '07:00', to: '19:00' }],
      jobs: { warm: '0 7 * * *' },
    });
    expect(between(withJob, '2027-03-15T06:00:00Z', '2027-03-15T08:00:00Z')).toEqual([
      '2027-03-15T07:00:00.000Z deploy uptime[0]',
      '2027-03-15T07:00:00.000Z job jobs.warm.schedule[0] warm',
    ]);
  });
});

describe('next firings', () => {
  it('returns the next few firings strictly after now, searching further ahead when needed', () => {
    const yearly = workspaceFixture({ deploy: '0 0 1 1 *', destroy: '0 0 2 1 *' });
    expect(describeFirings(nextFirings(yearly, noCalendars, at('2027-03-15T00:00:00Z'), 3))).toEqual([
      '2028-01-01T00:00:00.000Z deploy deploy_schedule[0]',
      '2028-01-02T00:00:00.000Z destroy destroy_schedule[0]',
      '2029-01-01T00:00:00.000Z deploy deploy_schedule[0]',
    ]);
  });

  it('returns fewer when the workspace has no more firings', () => {
    expect(nextFirings(workspaceFixture(), noCalendars, at('2027-03-15T00:00:00Z'), 3)).toEqual([]);
  });
});
