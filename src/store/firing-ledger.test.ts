import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import {
  attachRun,
  latestFiring,
  listFirings,
  recordFiring,
  type NewFiring,
} from '../schedule/firing.repo.ts';
import { insertRun } from '../run/run.repo.ts';

const recordedAt = new Date('2025-03-03T07:00:05.000Z');

function firing(overrides: Partial<NewFiring> = {}): NewFiring {
  return {
    workspace: 'demo',
    schedule_key: 'deploy_schedule[0]',
    action: 'deploy',
    scheduled_at: '2025-03-03T07:00:00.000Z',
    outcome: 'fired',
    recorded_at: recordedAt,
    ...overrides,
  };
}

forEachDialect('the firing ledger', (harness) => {
  it('records a firing and returns it with its id', async () => {
    const recorded = await recordFiring(harness.db, firing({ mode: 'small', reason: null }));
    expect(recorded).toEqual({
      id: expect.any(Number),
      workspace: 'demo',
      schedule_key: 'deploy_schedule[0]',
      action: 'deploy',
      mode: 'small',
      scheduled_at: '2025-03-03T07:00:00.000Z',
      outcome: 'fired',
      reason: null,
      run_id: null,
      recorded_at: recordedAt.toISOString(),
    });
  });

  it('rejects a duplicate firing with firing_exists and keeps the first', async () => {
    const first = await recordFiring(harness.db, firing({ outcome: 'fired' }));
    await expect(
      recordFiring(harness.db, firing({ outcome: 'skipped', reason: 'disabled' })),
    ).rejects.toMatchObject({
      code: 'firing_exists',
      details: { existing: { id: first.id, outcome: 'fired' } },
    });
    const page = await listFirings(harness.db, { workspace: 'demo' });
    expect(page.items).toEqual([first]);
  });

  it('treats the same instant written with another offset as the same firing', async () => {
    await recordFiring(harness.db, firing({ scheduled_at: '2025-03-03T08:00:00+01:00' }));
    await expect(recordFiring(harness.db, firing())).rejects.toMatchObject({ code: 'firing_exists' });
  });

  it('lets exactly one of many replicas record the same firing at once', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => recordFiring(harness.db, firing())),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'firing_exists' });
    }
  });

  it('keeps firings of other schedules, workspaces and times apart', async () => {
    await recordFiring(harness.db, firing());
    await recordFiring(harness.db, firing({ schedule_key: 'destroy_schedule[0]', action: 'destroy' }));
    await recordFiring(
      harness.db,
      firing({ workspace: '_standalone_', schedule_key: 'jobs.backup', action: 'job' }),
    );
    await recordFiring(harness.db, firing({ scheduled_at: '2025-03-04T07:00:00.000Z' }));
    expect((await listFirings(harness.db, { workspace: 'demo' })).items).toHaveLength(3);
  });

  it('lists a workspace ledger newest first, page by page', async () => {
    for (let day = 1; day <= 5; day++) {
      await recordFiring(harness.db, firing({ scheduled_at: `2025-03-0${day}T07:00:00.000Z` }));
    }
    await recordFiring(harness.db, firing({ workspace: 'other' }));

    const first = await listFirings(harness.db, { workspace: 'demo', limit: 2 });
    const second = await listFirings(harness.db, { workspace: 'demo', limit: 2, cursor: first.next_cursor });
    const third = await listFirings(harness.db, { workspace: 'demo', limit: 2, cursor: second.next_cursor });
    const days = [...first.items, ...second.items, ...third.items].map((item) =>
      item.scheduled_at.slice(0, 10),
    );
    expect(days).toEqual(['2025-03-05', '2025-03-04', '2025-03-03', '2025-03-02', '2025-03-01']);
    expect(third.next_cursor).toBeNull();
  });

  it('rejects a cursor it did not make', async () => {
    await expect(
      listFirings(harness.db, { workspace: 'demo', cursor: 'bm90LWEtY3Vyc29y' }),
    ).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('finds the latest firing of a schedule, or null when it never fired', async () => {
    expect(await latestFiring(harness.db, 'demo', 'deploy_schedule[0]')).toBeNull();
    await recordFiring(harness.db, firing({ scheduled_at: '2025-03-04T07:00:00.000Z' }));
    await recordFiring(harness.db, firing({ scheduled_at: '2025-03-03T07:00:00.000Z', outcome: 'missed' }));
    await recordFiring(
      harness.db,
      firing({ schedule_key: 'uptime', scheduled_at: '2025-03-05T07:00:00.000Z' }),
    );
    expect(await latestFiring(harness.db, 'demo', 'deploy_schedule[0]')).toMatchObject({
      scheduled_at: '2025-03-04T07:00:00.000Z',
    });
  });

  it('links a firing to the run it started', async () => {
    const recorded = await recordFiring(harness.db, firing());
    await insertRun(harness.db, {
      id: 'run-1',
      workspace: 'demo',
      action: 'deploy',
      trigger: 'schedule',
      firing_id: recorded.id,
      created_at: recordedAt,
    });
    await attachRun(harness.db, recorded.id, 'run-1');
    expect(await latestFiring(harness.db, 'demo', 'deploy_schedule[0]')).toMatchObject({ run_id: 'run-1' });
    await expect(attachRun(harness.db, recorded.id + 1000, 'run-1')).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('records a firing inside a caller transaction that stays usable after a duplicate', async () => {
    await recordFiring(harness.db, firing());
    const count = await harness.db.transaction().execute(async (trx) => {
      await expect(recordFiring(trx, firing())).rejects.toMatchObject({ code: 'firing_exists' });
      await recordFiring(trx, firing({ scheduled_at: '2025-03-04T07:00:00.000Z' }));
      return (await listFirings(trx, { workspace: 'demo' })).items.length;
    });
    expect(count).toBe(2);
  });
});
