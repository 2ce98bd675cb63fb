import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { scheduleUnits } from './schedule-units.ts';

const configDir = makeConfigDir({
  ...workspaceFiles('web', { enabled: true, deploy_schedule: '0 7 * * *', destroy_schedule: '0 19 * * *' }),
  // Invalid from the start: no last good definition, so nothing to schedule.
  ...workspaceFiles('broken', { enabled: true, deploy_schedule: '61 * * * *' }),
  'jobs/report.json': {
    type: 'command',
    command: 'true',
    schedule: ['0 9 * * *', '30 8 * * *'],
    enabled: true,
  },
  'jobs/seed.json': { type: 'command', command: 'true', schedule: '@startup', enabled: true },
});
let config: EffectiveConfig;
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

const at = (iso: string) => new Date(iso);

it('makes a unit of each valid workspace and each standalone job with a cron schedule', () => {
  expect(scheduleUnits(config).map((unit) => [unit.key, unit.scope])).toEqual([
    ['web', 'web'],
    ['job:report', '_standalone_'],
  ]);
});

it("merges a standalone job's cron schedules in time order, and its next firing is the earliest of them", () => {
  const report = scheduleUnits(config).find((unit) => unit.key === 'job:report')!;
  expect(
    report
      .firings(at('2027-03-01T00:00:00Z'), at('2027-03-02T12:00:00Z'))
      .map((f) => f.scheduled_at.toISOString()),
  ).toEqual([
    '2027-03-01T08:30:00.000Z',
    '2027-03-01T09:00:00.000Z',
    '2027-03-02T08:30:00.000Z',
    '2027-03-02T09:00:00.000Z',
  ]);
  expect(report.next(at('2027-03-01T08:45:00Z'))).toEqual(at('2027-03-01T09:00:00Z'));
  expect(report.next(at('2027-03-01T09:00:00Z'))).toEqual(at('2027-03-02T08:30:00Z'));
});

it("gives a workspace unit's next firing from its edges", () => {
  const web = scheduleUnits(config).find((unit) => unit.key === 'web')!;
  expect(web.next(at('2027-03-01T08:00:00Z'))).toEqual(at('2027-03-01T19:00:00Z'));
});
