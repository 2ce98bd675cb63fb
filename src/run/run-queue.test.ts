import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import {
  claimNextQueued,
  findExpiredLeases,
  getRun,
  insertRun,
  renewLease,
  updateRunState,
  type NewRun,
} from './run.repo.ts';
import type { Run } from './run.ts';
import { ManualClock } from '../time/clock.ts';

const t0 = Date.parse('2025-03-03T07:00:00.000Z');
const at = (seconds: number): Date => new Date(t0 + seconds * 1000);
const LEASE_MS = 30_000;

function queued(id: string, seconds: number, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id,
    workspace: 'demo',
    action: 'deploy',
    trigger: 'schedule',
    created_at: at(seconds),
    ...overrides,
  };
}

forEachDialect('the run queue', (harness) => {
  const claim = (owner = 'runner-a', now = at(100)): Promise<Run | null> =>
    claimNextQueued(harness.db, { owner, leaseMs: LEASE_MS, clock: new ManualClock(now) });

  it('hands out nothing when nothing is queued', async () => {
    expect(await claim()).toBeNull();
  });

  it('claims manual runs before scheduled ones, then oldest first', async () => {
    await insertRun(harness.db, queued('sched-old', 1, { workspace: 'a' }));
    await insertRun(harness.db, queued('sched-new', 2, { workspace: 'b' }));
    await insertRun(harness.db, queued('manual-new', 4, { workspace: 'c', trigger: 'manual' }));
    await insertRun(harness.db, queued('api-old', 3, { workspace: 'd', trigger: 'api' }));
    const order = [];
    for (let run = await claim(); run; run = await claim()) order.push(run.id);
    expect(order).toEqual(['api-old', 'manual-new', 'sched-old', 'sched-new']);
  });

  it('starts the run and its lease when the claim commits, not when it was asked for', async () => {
    await insertRun(harness.db, queued('r1', 1));
    const clock = new ManualClock(at(100));
    // Another writer holds the runs table (on SQLite, the database), so the claim has to wait for it.
    const other = await harness.db.startTransaction().execute();
    if (harness.dialect === 'postgres') await sql`lock table runs in exclusive mode`.execute(other);
    const claiming = claimNextQueued(harness.db, { owner: 'runner-a', leaseMs: LEASE_MS, clock });
    if (harness.dialect === 'postgres') await waitUntilBlockedOnALock();
    clock.set(at(107));
    await other.commit().execute();
    expect(await claiming).toMatchObject({
      id: 'r1',
      started_at: at(107).toISOString(),
      lease_expires_at: at(137).toISOString(),
    });
  });

  it('marks the claimed run running under a lease with a new fencing token', async () => {
    await insertRun(harness.db, queued('r1', 1));
    const run = await claim('runner-a', at(100));
    expect(run).toMatchObject({
      id: 'r1',
      state: 'running',
      started_at: at(100).toISOString(),
      lease_owner: 'runner-a',
      lease_expires_at: at(130).toISOString(),
      fencing_token: 1,
    });
  });

  it('never returns two runs of one workspace, and keeps a workspace in order', async () => {
    await insertRun(harness.db, queued('demo-1', 1));
    await insertRun(harness.db, queued('demo-2', 2));
    await insertRun(harness.db, queued('job-1', 3, { workspace: 'demo', job: 'smoke', action: 'job' }));
    await insertRun(harness.db, queued('other-1', 4, { workspace: 'other' }));
    expect((await claim())?.id).toBe('demo-1');
    expect((await claim())?.id).toBe('other-1');
    expect(await claim()).toBeNull();
    await updateRunState(harness.db, 'demo-1', 'succeeded', at(110));
    expect((await claim())?.id).toBe('demo-2');
  });

  it('skips a busy workspace for a free one, even if the free one is younger', async () => {
    await insertRun(harness.db, queued('busy', 1));
    await updateRunState(harness.db, 'busy', 'running', at(5), { lease: { owner: 'x', leaseMs: LEASE_MS } });
    await insertRun(harness.db, queued('waiting', 2));
    await insertRun(
      harness.db,
      queued('free', 3, { workspace: '_standalone_', job: 'report', action: 'job' }),
    );
    expect((await claim())?.id).toBe('free');
  });

  it('never gives one run to two concurrent claimers, nor runs two runs of one workspace', async () => {
    const workspaces = ['ws-a', 'ws-b', 'ws-c', 'ws-d', 'ws-e', 'ws-f'];
    let n = 0;
    for (const workspace of workspaces) {
      for (let i = 0; i < 3; i++)
        await insertRun(harness.db, queued(`${workspace}-${i}`, n++, { workspace }));
    }
    // Twelve claimers race; on PostgreSQL each holds its own pooled connection.
    const claimed = await Promise.all(Array.from({ length: 12 }, (_, i) => claim(`runner-${i}`)));
    const ids = claimed.flatMap((run) => (run ? [run.id] : []));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(workspaces.map((workspace) => `${workspace}-0`).sort());

    const running = await harness.db
      .selectFrom('runs')
      .select(['lock_key'])
      .where('state', '=', 'running')
      .execute();
    expect(running).toHaveLength(workspaces.length);
  });

  it('drains a queue with parallel claimers, each run exactly once and in workspace order', async () => {
    const workspaces = ['ws-a', 'ws-b', 'ws-c'];
    let n = 0;
    for (let i = 0; i < 4; i++) {
      for (const workspace of workspaces)
        await insertRun(harness.db, queued(`${workspace}-${i}`, n++, { workspace }));
    }
    const started: string[] = [];
    const worker = async (owner: string): Promise<void> => {
      for (let idle = 0; idle < 3;) {
        const run = await claim(owner);
        if (!run) {
          idle++;
          continue;
        }
        started.push(run.id);
        await updateRunState(harness.db, run.id, 'succeeded', at(200), {
          fence: { owner, fencingToken: run.fencing_token },
        });
      }
    };
    await Promise.all(['w1', 'w2', 'w3', 'w4', 'w5'].map(worker));
    expect([...started].sort()).toEqual(
      workspaces.flatMap((w) => [0, 1, 2, 3].map((i) => `${w}-${i}`)).sort(),
    );
    for (const workspace of workspaces) {
      expect(started.filter((id) => id.startsWith(workspace))).toEqual(
        [0, 1, 2, 3].map((i) => `${workspace}-${i}`),
      );
    }
  });

  it.runIf(harness.dialect === 'postgres')(
    'retries a claim that lost a race for the workspace lock to a run started concurrently',
    async () => {
      await insertRun(harness.db, queued('scheduled', 1));
      await insertRun(harness.db, queued('manual', 2, { trigger: 'manual' }));
      await insertRun(harness.db, queued('elsewhere', 3, { workspace: 'other' }));
      // Another node starts `scheduled` but has not committed: the claimer cannot see it running yet,
      // picks `manual` (the head of demo's queue by priority) and collides on the unique index.
      const other = await harness.db.startTransaction().execute();
      await updateRunState(other, 'scheduled', 'running', at(50), {
        lease: { owner: 'node-2', leaseMs: LEASE_MS },
      });
      const claiming = claim('runner-a');
      await waitUntilBlockedOnALock();
      await other.commit().execute();
      expect((await claiming)?.id).toBe('elsewhere');
      expect(await getRun(harness.db, 'manual')).toMatchObject({ state: 'queued' });
    },
  );

  async function waitUntilBlockedOnALock(): Promise<void> {
    for (;;) {
      const { rows } = await sql<{ waiting: number }>`
        select count(*) as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(harness.db);
      if ((rows[0]?.waiting ?? 0) > 0) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('renews a lease its owner still holds', async () => {
    await insertRun(harness.db, queued('r1', 1));
    const run = await claim('runner-a', at(100));
    expect(await renewLease(harness.db, 'r1', 'runner-a', run?.fencing_token ?? -1, LEASE_MS, at(120))).toBe(
      true,
    );
    expect(await getRun(harness.db, 'r1')).toMatchObject({ lease_expires_at: at(150).toISOString() });
  });

  it('refuses to renew a lease after another owner took over (fencing)', async () => {
    await insertRun(harness.db, queued('r1', 1));
    const mine = await claim('runner-a', at(100));
    // Another node took the run over with a newer fencing token, as the reaper-and-requeue path does.
    await harness.db
      .updateTable('runs')
      .set({ lease_owner: 'runner-b', fencing_token: (mine?.fencing_token ?? 0) + 1 })
      .where('id', '=', 'r1')
      .execute();
    expect(await renewLease(harness.db, 'r1', 'runner-a', mine?.fencing_token ?? -1, LEASE_MS, at(110))).toBe(
      false,
    );
    await expect(
      updateRunState(harness.db, 'r1', 'succeeded', at(111), {
        fence: { owner: 'runner-a', fencingToken: mine?.fencing_token ?? -1 },
      }),
    ).rejects.toMatchObject({ code: 'conflict', details: { reason: 'lease_lost' } });
    expect(await getRun(harness.db, 'r1')).toMatchObject({ state: 'running', lease_owner: 'runner-b' });
  });

  it('refuses to renew an expired lease and reports it to the reaper', async () => {
    await insertRun(harness.db, queued('r1', 1));
    await insertRun(harness.db, queued('r2', 2, { workspace: 'fresh' }));
    const stale = await claim('runner-a', at(100));
    await claim('runner-b', at(125));
    expect(
      await renewLease(harness.db, 'r1', 'runner-a', stale?.fencing_token ?? -1, LEASE_MS, at(131)),
    ).toBe(false);
    expect((await findExpiredLeases(harness.db, at(131))).map((run) => run.id)).toEqual(['r1']);
    await updateRunState(harness.db, 'r1', 'failed', at(132), { reason: 'orphaned' });
    expect(await findExpiredLeases(harness.db, at(200))).toEqual([expect.objectContaining({ id: 'r2' })]);
  });

  it('refuses to renew the lease of a finished run', async () => {
    await insertRun(harness.db, queued('r1', 1));
    const run = await claim('runner-a', at(100));
    await updateRunState(harness.db, 'r1', 'succeeded', at(101));
    expect(await renewLease(harness.db, 'r1', 'runner-a', run?.fencing_token ?? -1, LEASE_MS, at(102))).toBe(
      false,
    );
  });
});
