import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { ManualClock } from '../time/clock.ts';
import { keyId } from './encryption-key.ts';
import { openSecretStore } from './open-secret-store.ts';

forEachDialect('openSecretStore', (harness) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-secrets-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const clock = new ManualClock('2027-05-01T10:00:00.000Z');
  const logged: Array<[string, object]> = [];
  const logger = {
    info: (fields: object, message: string) => void logged.push([message, fields]),
    warn: (fields: object, message: string) => void logged.push([message, fields]),
  };
  const open = (key?: Buffer, previousKeys: Buffer[] = []) =>
    openSecretStore({ db: harness.db, clock, logger, dataDir, key, previousKeys, production: false });

  it('moves values from the generated development key to TIDE_ENCRYPTION_KEY at start, then to its successor', async () => {
    const development = await open();
    await development.update('web', ['api_token'], { api_token: 'dev-token' });

    const first = randomBytes(32);
    logged.length = 0;
    const configured = await open(first);
    expect(logged).toContainEqual([
      'sensitive values re-encrypted with the current key',
      { reencrypted: 1, key_id: keyId(first) },
    ]);
    expect(await configured.resolve('web', ['api_token'])).toEqual({ api_token: 'dev-token' });

    // Rotation: the new key encrypts, the old one is listed as previous for one start.
    const second = randomBytes(32);
    const rotated = await open(second, [first]);
    const rows = await harness.db.selectFrom('workspace_secrets').select('key_id').execute();
    expect(rows).toEqual([{ key_id: keyId(second) }]);
    expect(await rotated.resolve('web', ['api_token'])).toEqual({ api_token: 'dev-token' });
  });

  it('warns, without failing the start, about values no configured key can open', async () => {
    const lost = await open(randomBytes(32));
    await lost.update('web', ['api_token'], { api_token: 'orphaned-token' });
    logged.length = 0;
    await open(randomBytes(32));
    expect(logged).toContainEqual([
      expect.stringContaining('cannot be decrypted'),
      expect.objectContaining({ variables: ['web/api_token'] }),
    ]);
  });
});
