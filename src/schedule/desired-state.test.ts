import { describe, it, expect } from 'vitest';
import { parseCron } from './cron.ts';
import {
  desiredStateAt,
  latestFiringAtOrBefore,
  nextCountedFiring,
  sameDesiredState,
} from './desired-state.ts';
import type { WorkspaceFixtureOptions } from './test-fixtures.ts';
import { at, calendarFixture, calendarMap, workspaceFixture } from './test-fixtures.ts';

// 2027-03-15 is a Monday; 2024-06-17 too.
function stateAt(options: WorkspaceFixtureOptions, iso: string, calendars = calendarMap()) {
  return desiredStateAt(workspaceFixture(options), calendars, at(iso));
}

function cron(source: string, timeZone = 'UTC') {
  const parsed = parseCron(source, timeZone);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.cron;
}

describe('edge workspaces: the latest firing wins', () => {
  const office: WorkspaceFixtureOptions = {
    deploy: '0 9 * * 1-5',
    destroy: '0 19 * * 1-5',
    modes: { large: '0 12 * * 3' },
  };

  it('is up after the morning deploy, with the firing as source and since', () => {
    expect(stateAt(office, '2027-03-15T10:00:00Z')).toEqual({
      state: 'up',
      reason: 'last firing: deploy_schedule[0] (deploy)',
      since: at('2027-03-15T09:00:00Z'),
      source_key: 'deploy_schedule[0]',
    });
  });

  it('is down after the evening destroy, through the weekend', () => {
    expect(stateAt(office, '2027-03-20T12:00:00Z')).toMatchObject({
      state: 'down',
      since: at('2027-03-19T19:00:00Z'),
      source_key: 'destroy_schedule[0]',
    });
  });

  it('counts a firing at exactly the instant', () => {
    expect(stateAt(office, '2027-03-15T19:00:00Z')).toMatchObject({ state: 'down' });
  });

  it('names the mode in the reason of a mode schedule’s deploy', () => {
    expect(stateAt(office, '2027-03-17T13:00:00Z')).toEqual({
      state: 'up',
      mode: 'large',
      reason: 'last firing: mode_schedules.large[0] (deploy in mode large)',
      since: at('2027-03-17T12:00:00Z'),
      source_key: 'mode_schedules.large[0]',
    });
  });

  it('switches to the mode of a mode schedule, and back to the default at the next plain deploy', () => {
    expect(stateAt(office, '2027-03-17T13:00:00Z')).toMatchObject({ state: 'up', mode: 'large' });
    expect(stateAt(office, '2027-03-18T10:00:00Z')).toEqual(
      expect.not.objectContaining({ mode: expect.anything() }),
    );
  });

  it('keeps the workspace up when a deploy and a destroy fire at the same instant', () => {
    expect(stateAt({ deploy: '30 14 * * *', destroy: '30 14 * * *' }, '2024-06-15T14:35:00Z')).toMatchObject({
      state: 'up',
      source_key: 'deploy_schedule[0]',
    });
  });

  it('lets the later mode schedule win a tie between two modes', () => {
    expect(
      stateAt({ modes: { small: '0 9 * * *', large: '0 9 * * *' } }, '2027-03-15T10:00:00Z'),
    ).toMatchObject({
      mode: 'large',
    });
  });

  it('is down forever after a destroy when the deploy schedule is false', () => {
    expect(stateAt({ deploy: [], destroy: '0 19 * * *' }, '2027-03-15T10:00:00Z')).toMatchObject({
      state: 'down',
      since: at('2027-03-14T19:00:00Z'),
    });
  });

  it('stays up after a deploy when there is no destroy schedule', () => {
    expect(stateAt({ deploy: '0 9 1 * *' }, '2027-03-15T10:00:00Z')).toMatchObject({
      state: 'up',
      since: at('2027-03-01T09:00:00Z'),
    });
  });

  it('skips a schedule that is not a clock time and follows the others', () => {
    expect(stateAt({ deploy: ['@reboot', '0 9 * * *'] }, '2027-03-15T10:00:00Z')).toMatchObject({
      state: 'up',
      since: at('2027-03-15T09:00:00Z'),
      source_key: 'deploy_schedule[1]',
    });
  });

  it('interprets the schedules in the workspace’s zone', () => {
    const paris = { ...office, timezone: 'Europe/Paris' };
    expect(stateAt(paris, '2027-03-15T08:30:00Z')).toMatchObject({
      state: 'up',
      since: at('2027-03-15T08:00:00Z'),
    });
  });
});

describe('edge workspaces and calendars', () => {
  const holidays = calendarMap(calendarFixture('holidays', ['2027-03-16', '2027-03-17']));

  it('ignores deploys skipped on calendar days but not destroys', () => {
    const daily = { deploy: '0 9 * * *', destroy: '0 19 * * *', calendars: ['holidays'] };
    expect(stateAt(daily, '2027-03-16T10:00:00Z', holidays)).toMatchObject({
      state: 'down',
      since: at('2027-03-15T19:00:00Z'),
    });
  });

  it('counts a destroy that falls on a calendar day', () => {
    const daily = { deploy: '0 9 * * *', destroy: '0 19 * * *', calendars: ['holidays'] };
    expect(stateAt(daily, '2027-03-16T20:00:00Z', holidays)).toMatchObject({
      state: 'down',
      since: at('2027-03-16T19:00:00Z'),
    });
  });

  it('skips a deploy at the very midnight a calendar day begins', () => {
    const midnight = { deploy: '0 0 * * *', calendars: ['holidays'] };
    expect(stateAt(midnight, '2027-03-17T10:00:00Z', holidays)).toMatchObject({
      state: 'up',
      since: at('2027-03-15T00:00:00Z'),
    });
  });

  it('falls back to the last deploy before a run of calendar days', () => {
    const deployOnly = { deploy: '0 9 * * *', calendars: ['holidays'] };
    expect(stateAt(deployOnly, '2027-03-17T10:00:00Z', holidays)).toMatchObject({
      state: 'up',
      since: at('2027-03-15T09:00:00Z'),
    });
  });

  it('ignores calendars the workspace does not name', () => {
    expect(
      stateAt({ deploy: '0 9 * * *', destroy: '0 19 * * *' }, '2027-03-16T10:00:00Z', holidays),
    ).toMatchObject({
      state: 'up',
    });
  });
});

describe('edge workspaces without an opinion', () => {
  it('has no desired state with only plan and job schedules', () => {
    expect(stateAt({ plan: '0 6 * * *', jobs: { report: '0 7 * * *' } }, '2027-03-15T10:00:00Z')).toEqual({
      state: 'none',
      reason: 'no deploy, destroy or mode schedule',
    });
  });

  it('has no desired state when no deploy or destroy has ever fired', () => {
    expect(stateAt({ deploy: '0 0 30 2 *' }, '2027-03-15T10:00:00Z')).toEqual({
      state: 'none',
      reason: 'no deploy, destroy or mode schedule has fired yet',
    });
  });
});

describe('the Provisioner’s decision scenarios (§3.2 G) as desired state', () => {
  const mondays: WorkspaceFixtureOptions = { deploy: ['0 9 * * 1', '0 14 * * 1'], destroy: '0 17 * * 1' };

  it('wants Monday’s workspace up from 09:00, redeployed by the 14:00 schedule, down from 17:00', () => {
    expect(stateAt(mondays, '2024-06-17T09:05:00Z')).toMatchObject({
      state: 'up',
      source_key: 'deploy_schedule[0]',
    });
    expect(stateAt(mondays, '2024-06-17T14:05:00Z')).toMatchObject({
      state: 'up',
      source_key: 'deploy_schedule[1]',
    });
    expect(stateAt(mondays, '2024-06-17T17:05:00Z')).toMatchObject({ state: 'down' });
  });

  it('wants it down before Monday 09:00, since the previous Monday’s destroy', () => {
    expect(stateAt(mondays, '2024-06-17T08:00:00Z')).toMatchObject({
      state: 'down',
      since: at('2024-06-10T17:00:00Z'),
    });
  });

  it('still wants a missed 09:00 deploy at 10:00 (catch-up is the scheduler’s policy)', () => {
    expect(stateAt({ deploy: '0 9 * * *' }, '2024-01-01T10:00:00Z')).toMatchObject({
      state: 'up',
      since: at('2024-01-01T09:00:00Z'),
    });
  });

  it('wants the workspace down after either of two evening destroys', () => {
    const evenings = { destroy: ['0 18 * * *', '0 22 * * *'] };
    expect(stateAt(evenings, '2024-06-15T18:30:00Z')).toMatchObject({
      state: 'down',
      source_key: 'destroy_schedule[0]',
    });
    expect(stateAt(evenings, '2024-06-15T22:30:00Z')).toMatchObject({
      state: 'down',
      source_key: 'destroy_schedule[1]',
    });
  });

  it('wants an every-minute deploy up since the current minute', () => {
    expect(stateAt({ deploy: '* * * * *' }, '2024-06-15T14:30:42Z')).toMatchObject({
      state: 'up',
      since: at('2024-06-15T14:30:00Z'),
    });
  });
});

describe('uptime workspaces', () => {
  const office: WorkspaceFixtureOptions = {
    timezone: 'Europe/Paris',
    uptime: [
      { days: 'mon-fri', from: '07:00', to: '19:00' },
      { days: 'wed', from: '12:00', to: '14:00', mode: 'large' },
    ],
    calendars: ['holidays'],
  };
  const holidays = calendarMap(calendarFixture('holidays', { '2027-03-18': 'Mi-carême' }));

  it('is up inside a window, since it opened', () => {
    expect(stateAt(office, '2027-03-15T10:00:00Z', holidays)).toEqual({
      state: 'up',
      reason: 'inside uptime[0] (mon-fri 07:00 to 19:00)',
      since: at('2027-03-15T06:00:00Z'),
      source_key: 'uptime[0]',
    });
  });

  it('is up in the mode of the window it is in', () => {
    expect(stateAt(office, '2027-03-17T11:30:00Z', holidays)).toMatchObject({ state: 'up', mode: 'large' });
  });

  it('is down outside the windows, since the last one closed', () => {
    expect(stateAt(office, '2027-03-20T10:00:00Z', holidays)).toEqual({
      state: 'down',
      reason: 'outside uptime windows',
      since: at('2027-03-19T18:00:00Z'),
    });
  });

  it('is down on a calendar day when a window would be open, naming the day', () => {
    expect(stateAt(office, '2027-03-18T10:00:00Z', holidays)).toEqual({
      state: 'down',
      reason: 'calendar day (holidays: 2027-03-18 Mi-carême) closes uptime[0]',
      since: at('2027-03-18T06:00:00Z'),
      source_key: 'uptime[0]',
    });
  });

  it('closes a window that spans midnight when a calendar day begins, naming an unnamed day by its date', () => {
    const overnight = { uptime: [{ from: '20:00', to: '04:00' }], calendars: ['holidays'] };
    const days = calendarMap(calendarFixture('holidays', ['2027-03-18']));
    expect(stateAt(overnight, '2027-03-17T23:00:00Z', days)).toMatchObject({ state: 'up' });
    expect(stateAt(overnight, '2027-03-18T01:00:00Z', days)).toEqual({
      state: 'down',
      reason: 'calendar day (holidays: 2027-03-18) closes uptime[0]',
      since: at('2027-03-18T00:00:00Z'),
      source_key: 'uptime[0]',
    });
  });

  it('finds since at the far end of the 32-day look-back', () => {
    const always = { uptime: [{ from: '00:00', to: '24:00' }], calendars: ['holidays'] };
    const days = calendarMap(calendarFixture('holidays', ['2027-02-14']));
    // The look-back starts 2027-02-14T10:00Z; the calendar day ends at the first midnight after it.
    expect(stateAt(always, '2027-03-18T10:00:00Z', days)).toMatchObject({
      state: 'up',
      since: at('2027-02-15T00:00:00Z'),
    });
  });

  it('omits since when the state has not changed in the last 32 days', () => {
    expect(stateAt({ uptime: [{ from: '00:00', to: '24:00' }] }, '2027-03-15T10:00:00Z')).toEqual({
      state: 'up',
      reason: 'inside uptime[0] (* 00:00 to 24:00)',
      source_key: 'uptime[0]',
    });
  });
});

describe('periods of desired state', () => {
  it('treats states that differ in state, mode or reason as different periods', () => {
    const up = { state: 'up', mode: 'large', reason: 'inside uptime[0]' } as const;
    expect(sameDesiredState(up, { ...up })).toBe(true);
    expect(sameDesiredState(up, { ...up, state: 'down' })).toBe(false);
    expect(sameDesiredState(up, { ...up, mode: 'small' })).toBe(false);
    expect(sameDesiredState(up, { ...up, reason: 'inside uptime[1]' })).toBe(false);
  });
});

describe('next firing that counts', () => {
  const holidays = [calendarFixture('holidays', ['2027-03-16', '2027-03-17'])];

  it('passes over deploys on calendar days to the first one after them', () => {
    expect(
      nextCountedFiring(cron('0 9 * * *'), { action: 'deploy' }, holidays, 'UTC', at('2027-03-15T10:00:00Z')),
    ).toEqual(at('2027-03-18T09:00:00Z'));
  });

  it('keeps a midnight deploy on the day right after a calendar day', () => {
    const oneDay = [calendarFixture('holidays', ['2027-03-16'])];
    expect(
      nextCountedFiring(cron('0 0 * * *'), { action: 'deploy' }, oneDay, 'UTC', at('2027-03-15T12:00:00Z')),
    ).toEqual(at('2027-03-17T00:00:00Z'));
  });

  it('counts destroys on calendar days', () => {
    expect(
      nextCountedFiring(
        cron('0 19 * * *'),
        { action: 'destroy' },
        holidays,
        'UTC',
        at('2027-03-15T20:00:00Z'),
      ),
    ).toEqual(at('2027-03-16T19:00:00Z'));
  });

  it('reads calendar days in the given zone', () => {
    // 23:30 UTC on the 15th is already the 16th in Paris.
    expect(
      nextCountedFiring(
        cron('30 23 * * *'),
        { action: 'deploy' },
        holidays,
        'Europe/Paris',
        at('2027-03-15T12:00:00Z'),
      ),
    ).toEqual(at('2027-03-17T23:30:00Z'));
  });

  it('is null for a deploy that never fires', () => {
    expect(
      nextCountedFiring(
        cron('0 0 30 2 *'),
        { action: 'deploy' },
        holidays,
        'UTC',
        at('2027-03-15T12:00:00Z'),
      ),
    ).toBeNull();
  });
});

describe('latest firing at or before an instant', () => {
  const hour = 3_600_000;
  // Expression, zone, and a brute-force look-back longer than the expression's largest gap.
  const cases: [string, string, number][] = [
    ['*/7 * * * *', 'UTC', hour],
    ['30 2 * * *', 'America/New_York', 50 * hour],
    ['30 1 * * *', 'America/New_York', 50 * hour],
    ['0 * * * *', 'Europe/Paris', 3 * hour],
    ['15 1 * * 0', 'America/New_York', 8 * 24 * hour],
    ['*/20 * * * * *', 'UTC', 600_000],
  ];

  it.each(cases)(
    'agrees with a brute-force search for "%s" in %s, across DST changes',
    (source, zone, lookBack) => {
      const parsed = parseCron(source, zone);
      if (!parsed.ok) throw new Error(parsed.error);
      const starts = [
        '2027-03-14T03:17:00Z',
        '2027-03-28T00:59:30Z',
        '2027-11-07T05:45:10Z',
        '2027-10-31T01:00:00Z',
      ];
      for (const start of starts) {
        for (let step = 0; step < 12; step += 1) {
          const instant = new Date(at(start).getTime() + step * 1_234_567);
          const window = parsed.cron.between(new Date(instant.getTime() - lookBack), instant);
          expect(latestFiringAtOrBefore(parsed.cron, instant)).toEqual(window.at(-1) ?? null);
        }
      }
    },
  );

  it('finds a firing years back (29 February)', () => {
    const parsed = parseCron('* * 29 2 *', 'Europe/Paris');
    if (!parsed.ok) throw new Error(parsed.error);
    expect(latestFiringAtOrBefore(parsed.cron, at('2027-03-15T00:00:00Z'))).toEqual(
      at('2024-02-29T22:59:00Z'),
    );
  });

  it('finds a firing at exactly the instant when the one before is out of reach (29 February 2104)', () => {
    // 2100 is not a leap year: the previous 29 February is eight years back.
    expect(latestFiringAtOrBefore(cron('0 0 29 2 *'), at('2104-02-29T00:00:00Z'))).toEqual(
      at('2104-02-29T00:00:00Z'),
    );
  });

  it('gives up after 1500 days', () => {
    const parsed = parseCron('0 0 1 1 *', 'UTC');
    if (!parsed.ok) throw new Error(parsed.error);
    expect(latestFiringAtOrBefore(parsed.cron, at('2027-03-15T00:00:00Z'))).toEqual(
      at('2027-01-01T00:00:00Z'),
    );
    const never = parseCron('0 0 30 2 *', 'UTC');
    if (!never.ok) throw new Error(never.error);
    expect(latestFiringAtOrBefore(never.cron, at('2027-03-15T00:00:00Z'))).toBeNull();
  });
});
