import { afterEach, expect, it } from 'vitest';
import { workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { schedulerHarness, type SchedulerHarness } from '../../test/helpers/scheduler-harness.ts';
import { listFirings } from '../schedule/firing.repo.ts';
import { listRuns } from '../run/run.repo.ts';
import type { Db } from '../store/schema.ts';
import { insertOverride } from '../workspace/override.repo.ts';
import { applyTtlEffect, getTtl } from '../workspace/ttl.repo.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';

const harnesses: SchedulerHarness[] = [];
afterEach(() => harnesses.splice(0).forEach((h) => h.cleanup()));

async function setup(db: Db, files: Record<string, string | object>, start: string) {
  const harness = await schedulerHarness(db, files, start);
  harnesses.push(harness);
  return harness;
}

const setTtl = (db: Db, workspace: string, destroyAt: string) =>
  applyTtlEffect(
    db,
    { id: `run-${workspace}`, workspace },
    { kind: 'set', destroyAt: new Date(destroyAt) },
    new Date('2027-06-01T08:00:00Z'),
  );

async function ledger(db: Db, workspace: string) {
  const { items } = await listFirings(db, { workspace, limit: 100 });
  return items.map((f) => ({
    key: f.schedule_key,
    at: f.scheduled_at,
    outcome: f.outcome,
    reason: f.reason,
  }));
}

forEachDialect('TTL firings in the scheduler', (harness) => {
  const db = () => harness.db;

  it("skips a protected workspace's due TTL destroy without asking its pre-destroy check, ends the TTL, and keeps the TTL of a workspace no longer configured", async () => {
    const h = await setup(
      db(),
      workspaceFiles('safe', { enabled: true, protect: true, pre_destroy_check: { command: 'false' } }),
      '2027-06-01T12:00:00Z',
    );
    await upsertWorkspaceStatus(db(), 'safe', { status: 'deployed' }, h.clock.now());
    await setTtl(db(), 'safe', '2027-06-01T12:00:00Z');
    await setTtl(db(), 'gone', '2027-06-01T11:00:00Z');
    const s = h.newScheduler();
    await s.start();
    expect(await ledger(db(), 'safe')).toEqual([
      {
        key: 'ttl',
        at: '2027-06-01T12:00:00.000Z',
        outcome: 'skipped',
        reason: 'workspace is protected (protect: true)',
      },
    ]);
    expect(await getTtl(db(), 'safe')).toBeNull();
    expect(await getTtl(db(), 'gone')).toMatchObject({ destroyAt: new Date('2027-06-01T11:00:00Z') });
    expect((await listRuns(db(), { limit: 10 })).items).toEqual([]);
    await s.stop();
  });

  it('wakes at the earliest TTL end, counting a keep_up_until override that postpones one', async () => {
    const h = await setup(
      db(),
      { ...workspaceFiles('api', { enabled: true }), ...workspaceFiles('web', { enabled: true }) },
      '2027-06-01T12:00:00Z',
    );
    // api's TTL ends first, but an override keeps it up 30 s longer: web's end comes first.
    await setTtl(db(), 'api', '2027-06-01T12:00:20Z');
    await setTtl(db(), 'web', '2027-06-01T12:00:30Z');
    await insertOverride(db(), {
      id: 'ov-up',
      workspace: 'api',
      kind: 'keep_up_until',
      action: null,
      ends_at: new Date('2027-06-01T12:00:50Z'),
      reason: 'demo',
      actor: 'user:alice',
      created_at: new Date('2027-06-01T11:00:00Z'),
      removed_at: null,
      consumed_at: null,
    });
    const s = h.newScheduler();
    await s.start();
    expect(h.timers.lastDelayMs).toBe(30_000);
    await s.stop();
  });
});
