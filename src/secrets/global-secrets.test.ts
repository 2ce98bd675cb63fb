import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { ManualClock } from '../time/clock.ts';
import { makeKeyring } from './encryption-key.ts';
import { GlobalSecrets } from './global-secrets.ts';
import { SecretStore } from './secret-store.ts';

forEachDialect('GlobalSecrets', (harness) => {
  const clock = new ManualClock('2027-05-01T10:00:00.000Z');
  const keyring = makeKeyring(randomBytes(32));
  const secrets = () => new GlobalSecrets({ db: harness.db, keyring, clock });

  it('stores a value encrypted, lists its name and time without the value, and resolves it', async () => {
    await secrets().set('hook_key', 'hmac-key-1234');
    expect(await secrets().list()).toEqual([{ name: 'hook_key', updated_at: '2027-05-01T10:00:00.000Z' }]);
    expect(await secrets().resolve('hook_key')).toBe('hmac-key-1234');
    const rows = await harness.db.selectFrom('workspace_secrets').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain('hmac-key-1234');
  });

  it('replaces a value set again, with the new time', async () => {
    await secrets().set('hook_key', 'first-value');
    clock.advance(60_000);
    await secrets().set('hook_key', 'second-value');
    expect(await secrets().resolve('hook_key')).toBe('second-value');
    expect(await secrets().list()).toEqual([{ name: 'hook_key', updated_at: '2027-05-01T10:01:00.000Z' }]);
  });

  it('refuses an empty value', async () => {
    await expect(secrets().set('hook_key', '')).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await secrets().list()).toEqual([]);
  });

  it('fails to resolve a secret that is not set, naming it and the command that sets it', async () => {
    await expect(secrets().resolve('smtp_password')).rejects.toMatchObject({
      code: 'not_found',
      message: 'global secret "smtp_password" is not set (tide secret set smtp_password)',
    });
  });

  it('forgets a removed secret', async () => {
    await secrets().set('hook_key', 'hmac-key-1234');
    await secrets().remove('hook_key');
    expect(await secrets().list()).toEqual([]);
    await expect(secrets().resolve('hook_key')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('keeps global secrets out of every workspace, even one declaring the same name', async () => {
    await secrets().set('api_token', 'global-token');
    const store = new SecretStore({ db: harness.db, clock, keyring });
    expect(await store.resolve('web', ['api_token'])).toEqual({});
  });
});
