import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { loadConfigDirectory } from '../config/config-loader.ts';
import { applySnapshot, type EffectiveConfig } from '../config/effective-config.ts';
import { TideError } from '../errors/tide-error.ts';
import { finishRun } from '../run/run-outcome.repo.ts';
import { claimNextQueued, insertRun } from '../run/run.repo.ts';
import { ManualClock } from '../time/clock.ts';
import { SavingsService } from './savings.service.ts';

let config: EffectiveConfig;
const configDir = makeConfigDir({
  ...workspaceFiles('web', {
    enabled: true,
    hourly_cost: 0.5,
    deploy_schedule: '0 7 * * 1-5',
    destroy_schedule: '0 19 * * 1-5',
  }),
  ...workspaceFiles('never', { enabled: true, hourly_cost: 3 }),
  ...workspaceFiles('free', { enabled: true }),
});

beforeAll(async () => {
  const { snapshot } = await loadConfigDirectory(configDir.dir, { defaultTimeZone: 'UTC' });
  expect(snapshot.problems).toEqual([]);
  config = applySnapshot(null, snapshot).next;
});
afterAll(() => configDir.cleanup());

forEachDialect('savings from the run history', (harness) => {
  const clock = new ManualClock('2025-03-01T00:00:00Z');
  const service = () => new SavingsService({ db: harness.db, clock, config: () => config });
  let sequence = 0;

  /** A real run through the store: queued, claimed and finished `state` at `iso`. */
  async function ran(
    workspace: string,
    action: 'deploy' | 'destroy',
    iso: string,
    state: 'succeeded' | 'failed' = 'succeeded',
  ) {
    clock.set(iso);
    const run = await insertRun(harness.db, {
      id: `run-${++sequence}`,
      workspace,
      action,
      trigger: 'schedule',
      created_at: clock.now(),
    });
    const claimed = await claimNextQueued(harness.db, { owner: 'test', leaseMs: 60_000, clock });
    expect(claimed?.id).toBe(run.id);
    await finishRun(harness.db, run.id, state, clock.now(), {}, () => null);
  }

  /** Deploys at 07:00 and destroys at 19:00 UTC, Monday to Friday, the week of Monday 2025-03-03. */
  async function scheduledWeek(): Promise<void> {
    // Up since Friday 2025-02-28 07:00, destroyed at 19:00: the week of Monday 2025-03-03 starts down.
    await ran('web', 'deploy', '2025-02-28T07:00:00Z');
    await ran('web', 'destroy', '2025-02-28T19:00:00Z');
    for (const day of ['03', '04', '05', '06', '07']) {
      await ran('web', 'deploy', `2025-03-${day}T07:00:00Z`);
      await ran('web', 'destroy', `2025-03-${day}T19:00:00Z`);
    }
    // A failed deploy on Saturday changes nothing: the workspace stays down.
    await ran('web', 'deploy', '2025-03-08T10:00:00Z', 'failed');
    await ran('web', 'deploy', '2025-03-10T07:00:00Z');
  }

  it('savings of a workspace scheduled 07–19 on weekdays over a week match the hand-computed figure', async () => {
    await scheduledWeek();
    clock.set('2025-03-12T00:00:00Z');

    const report = await service().report({
      since: new Date('2025-03-03T00:00:00Z'),
      until: new Date('2025-03-10T00:00:00Z'),
      bucket: 'day',
      workspace: 'web',
    });
    // By hand, Mon 00:00 → next Mon 00:00 (168 h), up 07–19 Mon–Fri (5 × 12 = 60 h): down 108 h.
    //   Mon 00–07 (7) + four weekday nights 19–07 (4 × 12 = 48) + Fri 19:00 → Mon 00:00 (53) = 108 h.
    //   (Fri 19:00 → Mon 07:00 is the 60 h weekend; its last 7 h fall in the next period.)
    //   Saved: 108 h × 0.5 = 54.
    expect(report.workspaces).toEqual([
      expect.objectContaining({ workspace: 'web', hourly_cost: 0.5, down_hours: 108, saved: 54 }),
    ]);
    expect(report.workspaces[0]!.buckets.map((b) => b.down_hours)).toEqual([12, 12, 12, 12, 12, 24, 24]);
    expect(report.total).toMatchObject({ down_hours: 108, saved: 54 });

    // The same week as one ISO week bucket, and a period starting while down (Saturday noon → Monday 12:00).
    const weekly = await service().report({
      since: new Date('2025-03-03T00:00:00Z'),
      until: new Date('2025-03-10T00:00:00Z'),
      bucket: 'week',
      workspace: 'web',
    });
    expect(weekly.total.buckets).toEqual([
      { start: '2025-03-03T00:00:00.000Z', end: '2025-03-10T00:00:00.000Z', down_hours: 108, saved: 54 },
    ]);
    const weekend = await service().report({
      since: new Date('2025-03-08T12:00:00Z'),
      until: new Date('2025-03-10T12:00:00Z'),
      bucket: 'week',
      workspace: 'web',
    });
    // Sat 12:00 → Mon 07:00 = 43 h, split by the week boundary at Mon 00:00 into 36 h + 7 h.
    expect(weekend.total.buckets.map((b) => b.down_hours)).toEqual([36, 7]);
    expect(weekend.total).toMatchObject({ down_hours: 43, saved: 21.5 });
  });

  it('counts nothing for a never-deployed workspace and lists one without hourly_cost as excluded', async () => {
    await scheduledWeek();
    await ran('never', 'destroy', '2025-03-04T00:00:00Z');
    clock.set('2025-03-12T00:00:00Z');
    const report = await service().report(
      { since: new Date('2025-03-03T00:00:00Z'), until: new Date('2025-03-10T00:00:00Z'), bucket: 'month' },
      (name) => name !== 'hidden',
    );
    expect(report.workspaces.map((w) => [w.workspace, w.down_hours])).toEqual([
      ['never', 0],
      ['web', 108],
    ]);
    expect(report.excluded).toEqual(['free']);
    expect(report.total.buckets).toEqual([
      { start: '2025-03-01T00:00:00.000Z', end: '2025-04-01T00:00:00.000Z', down_hours: 108, saved: 54 },
    ]);
  });

  it('defaults to this UTC month up to now, never counts the future, and rejects bad periods and workspaces', async () => {
    await scheduledWeek();
    clock.set('2025-03-03T12:00:00Z');
    const report = await service().report({ until: new Date('2025-04-01T00:00:00Z'), workspace: 'web' });
    expect([report.since, report.until, report.bucket]).toEqual([
      '2025-03-01T00:00:00.000Z',
      '2025-03-03T12:00:00.000Z',
      'day',
    ]);
    // Down from Fri 19:00 (before the month) until Mon 07:00: Mar 1 (24) + Mar 2 (24) + Mar 3 (7).
    expect(report.workspaces[0]!.buckets.map((b) => b.down_hours)).toEqual([24, 24, 7]);
    await expect(service().report({ since: new Date('2025-03-04T00:00:00Z') })).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(service().report({ workspace: 'nope' })).rejects.toBeInstanceOf(TideError);
    // A scope with no costed workspace: nothing to read, nothing saved, the others excluded.
    const free = await service().report({}, (name) => name === 'free');
    expect([free.workspaces, free.total.saved, free.excluded]).toEqual([[], 0, ['free']]);
    await expect(service().report({ workspace: 'web' }, () => false)).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
