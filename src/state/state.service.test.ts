import { randomBytes } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { EventHub } from '../events/event-hub.ts';
import { claimNextQueued } from '../run/run.repo.ts';
import { RunService } from '../run/run.service.ts';
import { makeKeyring } from '../secrets/encryption-key.ts';
import { ManualClock } from '../time/clock.ts';
import type { RunCaller } from './state-backend.service.ts';
import { stateServices, type StateServices } from './state-services.ts';

function stateDocument(serial: number, resources: string[]): Buffer {
  return Buffer.from(JSON.stringify({ version: 4, serial, lineage: 'lin', resources }));
}

forEachDialect('state versions for people: content, rollback, key rotation', (harness) => {
  const oldKey = randomBytes(32);
  const jwtSecret = randomBytes(32);
  let clock: ManualClock;
  let runs: RunService;
  let state: StateServices;

  beforeEach(() => {
    clock = new ManualClock('2027-03-15T06:00:00.000Z');
    runs = new RunService({ db: harness.db, hub: new EventHub(), clock });
    state = stateServices({
      db: harness.db,
      keyring: makeKeyring(oldKey),
      clock,
      jwtSecret,
      keepVersions: 0,
    });
  });

  async function runCaller(workspace: string): Promise<RunCaller & { runId: string }> {
    await runs.enqueue({ workspace, action: 'deploy', trigger: 'manual' });
    const run = await claimNextQueued(harness.db, { owner: 'runner-a', leaseMs: 30_000, clock });
    if (!run) throw new Error('nothing claimed');
    return { ...state.credentials.issue(run), runId: run.id };
  }

  async function finishRun(runId: string): Promise<void> {
    await harness.db
      .updateTable('runs')
      .set({ state: 'succeeded', lease_expires_at: null })
      .where('id', '=', runId)
      .execute();
  }

  it('pulls the latest version, or one by serial, and names what is missing', async () => {
    const caller = await runCaller('web');
    await state.backend.write('web', caller, stateDocument(1, ['a']), undefined);
    await state.backend.write('web', caller, stateDocument(2, ['a', 'b']), undefined);
    expect(JSON.parse((await state.history.pull('web')).content.toString()).resources).toEqual(['a', 'b']);
    expect(JSON.parse((await state.history.pull('web', 1)).content.toString()).resources).toEqual(['a']);
    await expect(state.history.pull('web', 7)).rejects.toMatchObject({
      code: 'not_found',
      message: '"web" has no state with serial 7',
    });
    await expect(state.history.pull('vault')).rejects.toMatchObject({ message: '"vault" has no state yet' });
  });

  it('rolls back by writing the old content anew, on top, under a serial the engine accepts', async () => {
    const caller = await runCaller('web');
    await state.backend.write('web', caller, stateDocument(1, ['a']), undefined);
    await state.backend.write('web', caller, stateDocument(2, ['a', 'b']), undefined);
    await finishRun(caller.runId);
    const version = await state.history.rollback('web', 1, 'alice');
    expect(version).toMatchObject({ serial: 3, lineage: 'lin', run_id: null, written_by: 'user:alice' });
    const latest = JSON.parse((await state.history.pull('web')).content.toString());
    expect(latest).toMatchObject({ serial: 3, resources: ['a'] });
    expect((await state.history.describe('web')).versions.map((v) => v.serial)).toEqual([3, 2, 1]);
  });

  it('refuses a rollback while a live run holds the lock, and one to a deletion', async () => {
    const caller = await runCaller('web');
    await state.backend.write('web', caller, stateDocument(1, ['a']), undefined);
    await state.backend.lock('web', caller, JSON.stringify({ ID: 'l-1' }));
    await expect(state.history.rollback('web', 1, 'alice')).rejects.toMatchObject({ code: 'state_locked' });
    await state.backend.unlock('web', caller, JSON.stringify({ ID: 'l-1' }));
    await state.backend.remove('web', caller, undefined);
    await finishRun(caller.runId);
    await expect(state.history.pull('web')).rejects.toThrow(/is a deletion/);
    // Serial 1 names the deletion too (its serial is the deleted state's): the newest row of a serial wins.
    await expect(state.history.rollback('web', 1, 'alice')).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('re-encrypts versions under a previous key with the current one; versions under an unknown key stay', async () => {
    const caller = await runCaller('web');
    await state.backend.write('web', caller, stateDocument(1, ['a']), undefined);
    const newKey = randomBytes(32);
    const rotated = stateServices({
      db: harness.db,
      keyring: makeKeyring(newKey, [oldKey]),
      clock,
      jwtSecret,
      keepVersions: 0,
    });
    expect(await rotated.history.rotate()).toEqual({ reencrypted: 1, unreadable: [] });
    expect(await rotated.history.rotate()).toEqual({ reencrypted: 0, unreadable: [] });
    const withoutOld = stateServices({
      db: harness.db,
      keyring: makeKeyring(newKey),
      clock,
      jwtSecret,
      keepVersions: 0,
    });
    expect(JSON.parse((await withoutOld.history.pull('web')).content.toString()).resources).toEqual(['a']);

    const lost = stateServices({
      db: harness.db,
      keyring: makeKeyring(randomBytes(32)),
      clock,
      jwtSecret,
      keepVersions: 0,
    });
    expect(await lost.history.rotate()).toEqual({ reencrypted: 0, unreadable: ['web@1'] });
    await expect(lost.history.pull('web')).rejects.toThrow(
      /state serial 1 of "web" is encrypted with key .* not configured/,
    );
  });

  it('refuses content that was altered in the database', async () => {
    const caller = await runCaller('web');
    await state.backend.write('web', caller, stateDocument(1, ['a']), undefined);
    const other = await runCaller('vault');
    await state.backend.write('vault', other, stateDocument(1, ['v']), undefined);
    // A row copied to another workspace does not open: the key is bound to it.
    const vault = await harness.db
      .selectFrom('state_versions')
      .selectAll()
      .where('state_key', '=', 'vault')
      .executeTakeFirstOrThrow();
    await harness.db
      .updateTable('state_versions')
      .set({ ciphertext: vault.ciphertext, iv: vault.iv, tag: vault.tag })
      .where('state_key', '=', 'web')
      .execute();
    await expect(state.history.pull('web')).rejects.toThrow(
      /cannot be decrypted: the stored value was altered/,
    );
  });
});
