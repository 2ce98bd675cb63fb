import { randomBytes } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { EventHub } from '../events/event-hub.ts';
import { reapOrphans } from '../run/orphan-reaper.ts';
import { claimNextQueued } from '../run/run.repo.ts';
import { RunService } from '../run/run.service.ts';
import type { Run } from '../run/run.ts';
import { makeKeyring } from '../secrets/encryption-key.ts';
import { ManualClock } from '../time/clock.ts';
import type { RunCaller } from './state-backend.service.ts';
import { stateServices, type StateServices } from './state-services.ts';

const LEASE_MS = 30_000;

function stateDocument(serial: number, lineage = 'lineage-1', resources: unknown[] = []): Buffer {
  return Buffer.from(JSON.stringify({ version: 4, serial, lineage, resources }));
}

function lockInfo(id: string): string {
  return JSON.stringify({
    ID: id,
    Operation: 'OperationTypeApply',
    Who: 'runner@host',
    Created: '2027-01-01',
  });
}

forEachDialect('the state backend the engine talks to', (harness) => {
  let clock: ManualClock;
  let runs: RunService;
  let state: StateServices;

  beforeEach(() => {
    clock = new ManualClock('2027-03-15T06:00:00.000Z');
    runs = new RunService({ db: harness.db, hub: new EventHub(), clock });
    state = stateServices({
      db: harness.db,
      keyring: makeKeyring(randomBytes(32)),
      clock,
      jwtSecret: randomBytes(32),
      keepVersions: 0,
    });
  });

  /** Queues and claims a run of `workspace`: its claim is what the credential stands for. */
  async function claimedRun(workspace: string, action: Run['action'] = 'deploy', job?: string): Promise<Run> {
    await runs.enqueue({ workspace, action, trigger: 'manual', job: job ?? null });
    const claimed = await claimNextQueued(harness.db, { owner: 'runner-a', leaseMs: LEASE_MS, clock });
    if (!claimed) throw new Error('nothing claimed');
    return claimed;
  }

  function callerOf(run: Run): RunCaller {
    return state.credentials.issue(run);
  }

  async function finish(run: Run): Promise<void> {
    await runs.cancel(run.id, 'test');
    clock.advance(LEASE_MS + 1);
    await reapOrphans(harness.db, clock.now(), new EventHub());
  }

  it('keeps every state a run writes as a version: serial, lineage, checksum, size and the writing run', async () => {
    const run = await claimedRun('web');
    const caller = callerOf(run);
    expect(await state.backend.read('web', caller)).toBeNull();
    await state.backend.write('web', caller, stateDocument(1), undefined);
    await state.backend.write('web', caller, stateDocument(2), undefined);
    expect((await state.backend.read('web', caller))?.toString()).toBe(stateDocument(2).toString());
    const view = await state.history.describe('web');
    expect(view.total).toBe(2);
    expect(view.versions.map((v) => v.serial)).toEqual([2, 1]);
    expect(view.versions[0]).toMatchObject({
      lineage: 'lineage-1',
      size: stateDocument(2).length,
      run_id: run.id,
      written_by: `run:${run.id}`,
      deleted: false,
    });
    expect(view.versions[0]?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('stores the same state sent twice (a retried request) once', async () => {
    const caller = callerOf(await claimedRun('web'));
    await state.backend.write('web', caller, stateDocument(3), undefined);
    await state.backend.write('web', caller, stateDocument(3), undefined);
    expect((await state.history.describe('web')).total).toBe(1);
  });

  it('stores content encrypted: no row holds the state in clear', async () => {
    const caller = callerOf(await claimedRun('web'));
    await state.backend.write(
      'web',
      caller,
      stateDocument(1, 'lineage-1', [{ secret: 'hunter2-in-state' }]),
      undefined,
    );
    const rows = await harness.db.selectFrom('state_versions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain('hunter2');
  });

  it('refuses a body that is not a state document, naming what is wrong', async () => {
    const caller = callerOf(await claimedRun('web'));
    await expect(
      state.backend.write('web', caller, Buffer.from('not json'), undefined),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      message: 'the state is not JSON',
    });
    await expect(
      state.backend.write('web', caller, Buffer.from('{"lineage":"x"}'), undefined),
    ).rejects.toThrow(/no serial/);
  });

  it("refuses a wrong password, and a run using another workspace's state", async () => {
    const run = await claimedRun('web');
    await expect(state.backend.read('web', { username: run.id, password: 'guess' })).rejects.toMatchObject({
      code: 'unauthenticated',
    });
    await expect(state.backend.read('web', { username: 'no-such-run', password: 'x' })).rejects.toMatchObject(
      {
        code: 'unauthenticated',
      },
    );
    await expect(state.backend.read('vault', callerOf(run))).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('fences: once the lease is lost the credential writes nothing and cannot keep the lock; the next run gets it', async () => {
    const first = await claimedRun('web');
    const orphan = callerOf(first);
    expect(await state.backend.lock('web', orphan, lockInfo('lock-1'))).toEqual({ locked: true });
    await state.backend.write('web', orphan, stateDocument(1), 'lock-1');
    // The runner dies: its lease runs out, even before the reaper comes by the credential is void.
    clock.advance(LEASE_MS + 1);
    await expect(state.backend.write('web', orphan, stateDocument(2), 'lock-1')).rejects.toMatchObject({
      code: 'lease_lost',
    });
    await reapOrphans(harness.db, clock.now(), new EventHub());
    await expect(state.backend.read('web', orphan)).rejects.toMatchObject({ code: 'lease_lost' });
    await expect(state.backend.unlock('web', orphan, lockInfo('lock-1'))).rejects.toMatchObject({
      code: 'lease_lost',
    });

    const next = callerOf(await claimedRun('web'));
    // The orphan's lock is stale: the next run takes it over and sees what the orphan wrote in time.
    expect(await state.backend.lock('web', next, lockInfo('lock-2'))).toEqual({ locked: true });
    expect((await state.backend.read('web', next))?.toString()).toBe(stateDocument(1).toString());
    await state.backend.write('web', next, stateDocument(2), 'lock-2');
    expect(await state.backend.unlock('web', next, lockInfo('lock-2'))).toEqual({ locked: true });
    expect((await state.history.describe('web')).versions.map((v) => v.serial)).toEqual([2, 1]);
  });

  it('does not carry a credential over to a later claim of the same run', async () => {
    const run = await claimedRun('web');
    const before = callerOf(run);
    // Requeued and claimed again (a retry of the claim): a new fencing token.
    await harness.db
      .updateTable('runs')
      .set({ fencing_token: run.fencing_token + 1 })
      .where('id', '=', run.id)
      .execute();
    await expect(state.backend.read('web', before)).rejects.toMatchObject({ code: 'unauthenticated' });
  });

  it("answers a LOCK under another ID with the holder's lock info, and refuses a write under the wrong ID", async () => {
    const caller = callerOf(await claimedRun('web'));
    expect(await state.backend.lock('web', caller, lockInfo('lock-1'))).toEqual({ locked: true });
    expect(await state.backend.lock('web', caller, lockInfo('lock-9'))).toEqual({
      locked: false,
      holder: lockInfo('lock-1'),
    });
    await expect(state.backend.write('web', caller, stateDocument(1), 'lock-9')).rejects.toMatchObject({
      code: 'state_locked',
    });
    expect(await state.backend.unlock('web', caller, lockInfo('lock-9'))).toMatchObject({ locked: false });
    expect(await state.backend.unlock('web', caller, lockInfo('lock-1'))).toEqual({ locked: true });
    // Unlocking what is not locked succeeds: the engine may retry an unlock.
    expect(await state.backend.unlock('web', caller, lockInfo('lock-1'))).toEqual({ locked: true });
    await expect(state.backend.lock('web', caller, 'not json')).rejects.toMatchObject({
      code: 'validation_failed',
    });
    await expect(state.backend.lock('web', caller, '{}')).rejects.toThrow(/no ID/);
  });

  it('shows a lock while its run is live, and no longer once the run ended', async () => {
    const run = await claimedRun('web');
    await state.backend.lock('web', callerOf(run), lockInfo('lock-1'));
    expect((await state.history.describe('web')).lock).toMatchObject({
      run_id: run.id,
      info: { ID: 'lock-1', Operation: 'OperationTypeApply' },
    });
    await finish(run);
    expect((await state.history.describe('web')).lock).toBeNull();
  });

  it('records a deletion as a version without content, after which there is no state', async () => {
    const caller = callerOf(await claimedRun('web'));
    await state.backend.write('web', caller, stateDocument(1), undefined);
    await state.backend.remove('web', caller, undefined);
    await state.backend.remove('web', caller, undefined);
    expect(await state.backend.read('web', caller)).toBeNull();
    const view = await state.history.describe('web');
    expect(view.versions.map((v) => [v.serial, v.deleted, v.size])).toEqual([
      [1, true, 0],
      [1, false, stateDocument(1).length],
    ]);
  });

  it("keeps a template job's state under its own key", async () => {
    const run = await claimedRun('_standalone_', 'job', 'snap');
    await state.backend.write('_jobs/_standalone_/snap', callerOf(run), stateDocument(1), undefined);
    await expect(state.backend.read('_standalone_', callerOf(run))).rejects.toMatchObject({
      code: 'forbidden',
    });
    expect((await state.history.describe('_jobs/_standalone_/snap')).total).toBe(1);
  });

  it('keeps only the newest TIDE_STATE_VERSIONS_KEEP versions when set', async () => {
    state = stateServices({
      db: harness.db,
      keyring: makeKeyring(randomBytes(32)),
      clock,
      jwtSecret: randomBytes(32),
      keepVersions: 2,
    });
    const caller = callerOf(await claimedRun('web'));
    for (const serial of [1, 2, 3, 4])
      await state.backend.write('web', caller, stateDocument(serial), undefined);
    expect((await state.history.describe('web')).versions.map((v) => v.serial)).toEqual([4, 3]);
  });
});
