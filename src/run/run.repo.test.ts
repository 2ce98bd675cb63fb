import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { isUniqueViolation } from '../store/store-errors.ts';
import { getRun, insertRun, latestRunsOf, listRuns, updateRunState, type NewRun } from './run.repo.ts';

const t0 = Date.parse('2025-03-03T07:00:00.000Z');
const at = (seconds: number): Date => new Date(t0 + seconds * 1000);
const lease = { owner: 'runner-a', leaseMs: 60_000 };

let sequence = 0;
function newRun(overrides: Partial<NewRun> = {}): NewRun {
  sequence += 1;
  return {
    id: `run-${sequence}`,
    workspace: 'demo',
    action: 'deploy',
    trigger: 'schedule',
    created_at: at(sequence),
    ...overrides,
  };
}

forEachDialect('runs', (harness) => {
  it('are created queued, with the workspace as lock key and scheduled priority by default', async () => {
    const run = await insertRun(harness.db, newRun({ id: 'r1' }));
    expect(run).toMatchObject({
      id: 'r1',
      state: 'queued',
      lock_key: 'demo',
      priority: 1,
      attempt: 1,
      fencing_token: 0,
    });
    expect(await getRun(harness.db, 'r1')).toEqual(run);
    expect(await getRun(harness.db, 'missing')).toBeNull();
  });

  it('of standalone jobs lock only their job, and manual runs go first', async () => {
    const job = await insertRun(
      harness.db,
      newRun({ workspace: '_standalone_', job: 'backup', action: 'job' }),
    );
    const manual = await insertRun(harness.db, newRun({ trigger: 'manual' }));
    expect(job.lock_key).toBe('job:backup');
    expect(manual.priority).toBe(0);
  });

  it('give the newest run in the asked states of each listed workspace in one query, like listRuns', async () => {
    const finish = (id: string, state: 'succeeded' | 'failed') =>
      harness.db.updateTable('runs').set({ state }).where('id', '=', id).execute();
    await insertRun(harness.db, newRun({ id: 'a-old', workspace: 'a' }));
    await insertRun(harness.db, newRun({ id: 'a-new', workspace: 'a' }));
    await insertRun(harness.db, newRun({ id: 'a-queued', workspace: 'a' }));
    // Same created_at: the larger id is the newer, as in listRuns' order.
    await insertRun(harness.db, newRun({ id: 'b-1', workspace: 'b', created_at: at(500) }));
    await insertRun(harness.db, newRun({ id: 'b-2', workspace: 'b', created_at: at(500) }));
    await insertRun(harness.db, newRun({ id: 'c-1', workspace: 'c' }));
    await finish('a-old', 'succeeded');
    await finish('a-new', 'failed');
    await finish('b-1', 'succeeded');
    await finish('b-2', 'succeeded');
    await finish('c-1', 'succeeded');

    const latest = await latestRunsOf(harness.db, ['a', 'b', 'none'], ['succeeded', 'failed']);
    expect([...latest.keys()].sort()).toEqual(['a', 'b']);
    expect(latest.get('a')).toEqual(await getRun(harness.db, 'a-new'));
    expect(latest.get('b')).toEqual(
      (await listRuns(harness.db, { workspace: 'b', state: ['succeeded'], limit: 1 })).items[0],
    );
    expect(latest.get('b')?.id).toBe('b-2');
    expect((await latestRunsOf(harness.db, ['a'], ['queued'])).get('a')?.id).toBe('a-queued');
    expect((await latestRunsOf(harness.db, [], ['succeeded'])).size).toBe(0);
  });

  it('cannot be created twice with one id', async () => {
    await insertRun(harness.db, newRun({ id: 'dup' }));
    await expect(insertRun(harness.db, newRun({ id: 'dup' }))).rejects.toMatchObject({ code: 'conflict' });
  });

  it('cannot be two running runs of one workspace, even bypassing the repository', async () => {
    await insertRun(harness.db, newRun({ id: 'a' }));
    await insertRun(harness.db, newRun({ id: 'b' }));
    await harness.db.updateTable('runs').set({ state: 'running' }).where('id', '=', 'a').execute();
    const raw = harness.db.updateTable('runs').set({ state: 'running' }).where('id', '=', 'b').execute();
    await expect(raw).rejects.toSatisfy(isUniqueViolation);
    const rawInsert =
      sql`insert into runs (id, workspace, action, state, trigger, lock_key, priority, created_at)
      values ('c', 'demo', 'deploy', 'running', 'manual', 'demo', 0, ${at(0).toISOString()})`.execute(
        harness.db,
      );
    await expect(rawInsert).rejects.toSatisfy(isUniqueViolation);
  });

  it('report workspace_busy when a second run of a workspace tries to start', async () => {
    await insertRun(harness.db, newRun({ id: 'a' }));
    await insertRun(harness.db, newRun({ id: 'b' }));
    await updateRunState(harness.db, 'a', 'running', at(10), { lease });
    await expect(updateRunState(harness.db, 'b', 'running', at(11), { lease })).rejects.toMatchObject({
      code: 'workspace_busy',
      details: { constraint: 'runs_one_running_per_lock_key' },
    });
    expect(await getRun(harness.db, 'b')).toMatchObject({ state: 'queued', started_at: null });
  });

  it('of different workspaces and standalone jobs run side by side', async () => {
    await insertRun(harness.db, newRun({ id: 'a', workspace: 'one' }));
    await insertRun(harness.db, newRun({ id: 'b', workspace: 'two' }));
    await insertRun(harness.db, newRun({ id: 'c', workspace: '_standalone_', job: 'backup', action: 'job' }));
    for (const id of ['a', 'b', 'c']) await updateRunState(harness.db, id, 'running', at(10), { lease });
    expect((await listRuns(harness.db, { state: 'running' })).items).toHaveLength(3);
  });

  it('stamp their timestamps and keep what they report when they finish', async () => {
    await insertRun(harness.db, newRun({ id: 'a' }));
    const running = await updateRunState(harness.db, 'a', 'running', at(10), { lease });
    expect(running).toMatchObject({
      state: 'running',
      started_at: at(10).toISOString(),
      lease_owner: 'runner-a',
      lease_expires_at: at(70).toISOString(),
      fencing_token: 1,
    });
    const done = await updateRunState(harness.db, 'a', 'succeeded', at(20), {
      exit_code: 0,
      plan_summary: { add: 2, change: 1, destroy: 0 },
      outputs: { url: 'https://demo.example', password: '(sensitive)' },
    });
    expect(done).toMatchObject({
      state: 'succeeded',
      started_at: at(10).toISOString(),
      finished_at: at(20).toISOString(),
      exit_code: 0,
      plan_summary: { add: 2, change: 1, destroy: 0 },
      outputs: { url: 'https://demo.example', password: '(sensitive)' },
      lease_expires_at: null,
    });
  });

  it('refuse illegal transitions with illegal_transition and stay as they were', async () => {
    await insertRun(harness.db, newRun({ id: 'a' }));
    await expect(updateRunState(harness.db, 'a', 'succeeded', at(5))).rejects.toMatchObject({
      code: 'illegal_transition',
      details: { from: 'queued', to: 'succeeded' },
    });
    await updateRunState(harness.db, 'a', 'canceled', at(6));
    await expect(updateRunState(harness.db, 'a', 'running', at(7), { lease })).rejects.toMatchObject({
      code: 'illegal_transition',
    });
    expect(await getRun(harness.db, 'a')).toMatchObject({
      state: 'canceled',
      finished_at: at(6).toISOString(),
    });
  });

  it('cannot start without a lease, and a missing run is not_found', async () => {
    await insertRun(harness.db, newRun({ id: 'a' }));
    await expect(updateRunState(harness.db, 'a', 'running', at(5))).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    await expect(updateRunState(harness.db, 'nope', 'canceled', at(5))).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('are listed newest first, filtered, page by page', async () => {
    for (let i = 0; i < 5; i++) await insertRun(harness.db, newRun({ id: `w${i}`, created_at: at(100 + i) }));
    await insertRun(
      harness.db,
      newRun({ id: 'other', workspace: 'other', trigger: 'api', created_at: at(200) }),
    );
    const first = await listRuns(harness.db, { workspace: 'demo', limit: 3 });
    const second = await listRuns(harness.db, { workspace: 'demo', limit: 3, cursor: first.next_cursor });
    expect([...first.items, ...second.items].map((run) => run.id)).toEqual(['w4', 'w3', 'w2', 'w1', 'w0']);
    expect(second.next_cursor).toBeNull();
    expect((await listRuns(harness.db, { trigger: 'api' })).items.map((run) => run.id)).toEqual(['other']);
    expect((await listRuns(harness.db, { state: ['running', 'succeeded'] })).items).toEqual([]);
  });
});
