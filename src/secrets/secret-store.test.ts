import { randomBytes } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { ManualClock } from '../time/clock.ts';
import { makeKeyring, type Keyring } from './encryption-key.ts';
import { SecretStore } from './secret-store.ts';

const declared = ['api_token', 'db_password'];

forEachDialect('SecretStore', (harness) => {
  const clock = new ManualClock('2027-05-01T10:00:00.000Z');
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const storeWith = (keyring: Keyring) => new SecretStore({ db: harness.db, clock, keyring });
  let store: SecretStore;
  beforeEach(() => {
    store = storeWith(makeKeyring(oldKey));
  });
  const keyIds = async () =>
    (
      await harness.db.selectFrom('workspace_secrets').select(['name', 'key_id']).orderBy('name').execute()
    ).map((row) => row.key_id);

  it('applies all changes or none', async () => {
    await expect(store.update('web', declared, { api_token: 'token-1234', nope: 'abcd' })).rejects.toThrow(
      'not sensitive variables of workspace "web": nope',
    );
    expect(await store.resolve('web', declared)).toEqual({});
  });

  it('keeps workspaces apart, and resolves only the names still declared', async () => {
    await store.update('web', declared, { api_token: 'web-token', db_password: 'web-password' });
    await store.update('shop', declared, { api_token: 'shop-token' });
    expect(await store.resolve('shop', declared)).toEqual({ api_token: 'shop-token' });
    expect(await store.resolve('web', ['db_password'])).toEqual({ db_password: 'web-password' });
    expect(await store.describe('web', ['db_password'])).toEqual([
      { name: 'db_password', set: true, updated_at: '2027-05-01T10:00:00.000Z' },
    ]);
  });

  it('re-encrypts values under a previous key with the new one, once, and they still resolve', async () => {
    await store.update('web', declared, { api_token: 'web-token', db_password: 'web-password' });
    const rotated = storeWith(makeKeyring(newKey, [oldKey]));
    expect(await rotated.rotate()).toEqual({ reencrypted: 2, unreadable: [] });
    expect(await keyIds()).toEqual([makeKeyring(newKey).current.id, makeKeyring(newKey).current.id]);
    expect(await rotated.rotate()).toEqual({ reencrypted: 0, unreadable: [] });
    // The old key can go now: the new one alone reads everything.
    expect(await storeWith(makeKeyring(newKey)).resolve('web', declared)).toEqual({
      api_token: 'web-token',
      db_password: 'web-password',
    });
  });

  it('leaves values under an unknown key in place, reports them, and fails resolve naming the variable', async () => {
    await store.update('web', declared, { api_token: 'web-token' });
    const withoutOld = storeWith(makeKeyring(newKey));
    expect(await withoutOld.rotate()).toEqual({ reencrypted: 0, unreadable: ['web/api_token'] });
    expect(await keyIds()).toEqual([makeKeyring(oldKey).current.id]);
    await expect(withoutOld.resolve('web', declared)).rejects.toThrow(
      'sensitive variable "api_token" of workspace "web" is encrypted with key',
    );
  });
});
