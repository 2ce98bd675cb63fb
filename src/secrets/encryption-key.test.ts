import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_FILE_NAME, keyId, loadKeyring, makeKeyring, parseEncryptionKey } from './encryption-key.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-key-'));
  dirs.push(dir);
  return dir;
}
function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (_fields: object, message: string) => void warnings.push(message) } };
}

describe('parseEncryptionKey', () => {
  const key = randomBytes(32);

  it('accepts 32 bytes as 64 hex characters, base64 with or without padding, and base64url', () => {
    for (const text of [
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      key.toString('base64'),
      key.toString('base64').replace(/=$/, ''),
      key.toString('base64url'),
      ` ${key.toString('base64')}\n`,
    ]) {
      expect(parseEncryptionKey(text), text).toEqual(key);
    }
  });

  it('rejects other lengths, other alphabets and passphrases', () => {
    for (const text of [
      randomBytes(16).toString('hex'),
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      `${key.toString('hex').slice(0, 63)}g`,
      'correct horse battery staple correct horse',
      '',
    ]) {
      expect(parseEncryptionKey(text), text).toBeNull();
    }
  });
});

describe('key ids and keyrings', () => {
  it('derives a stable 16-hex id that differs between keys and does not contain the key', () => {
    const key = randomBytes(32);
    expect(keyId(key)).toMatch(/^[0-9a-f]{16}$/);
    expect(keyId(Buffer.from(key))).toBe(keyId(key));
    expect(keyId(randomBytes(32))).not.toBe(keyId(key));
    expect(key.toString('hex')).not.toContain(keyId(key));
  });

  it('encrypts with the current key and decrypts with it and every previous one', () => {
    const [current, old] = [randomBytes(32), randomBytes(32)];
    const ring = makeKeyring(current, [old]);
    expect(ring.current).toEqual({ id: keyId(current), key: current });
    expect([...ring.byId.keys()].sort()).toEqual([keyId(current), keyId(old)].sort());
  });
});

describe('loadKeyring', () => {
  it('generates a key outside production, writes it with mode 0600 and warns; the next start reuses it', async () => {
    const dir = dataDir();
    const first = recordingLogger();
    const ring = await loadKeyring({ key: undefined, dataDir: dir, production: false, logger: first.logger });
    const file = path.join(dir, KEY_FILE_NAME);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseEncryptionKey(readFileSync(file, 'utf8'))).toEqual(ring.current.key);
    expect(first.warnings).toEqual([expect.stringContaining('generated an encryption key')]);
    const again = await loadKeyring({
      key: undefined,
      dataDir: dir,
      production: false,
      logger: first.logger,
    });
    expect(again.current.id).toBe(ring.current.id);
  });

  it('refuses to generate a key in production', async () => {
    const { logger } = recordingLogger();
    await expect(
      loadKeyring({ key: undefined, dataDir: dataDir(), production: true, logger }),
    ).rejects.toThrow('TIDE_ENCRYPTION_KEY is required when TIDE_ENV=production');
  });

  it('prefers TIDE_ENCRYPTION_KEY, keeping a generated key file readable so its values can move over', async () => {
    const dir = dataDir();
    const { logger } = recordingLogger();
    const generated = await loadKeyring({ key: undefined, dataDir: dir, production: false, logger });
    const configured = randomBytes(32);
    const old = randomBytes(32);
    const ring = await loadKeyring({
      key: configured,
      previousKeys: [old],
      dataDir: dir,
      production: true,
      logger,
    });
    expect(ring.current.id).toBe(keyId(configured));
    expect(ring.byId.has(generated.current.id)).toBe(true);
    expect(ring.byId.has(keyId(old))).toBe(true);
  });

  it('treats a key file holding the configured key as that key, not as a previous one', async () => {
    const dir = dataDir();
    const { logger, warnings } = recordingLogger();
    const generated = await loadKeyring({ key: undefined, dataDir: dir, production: false, logger });
    const key = Buffer.from(readFileSync(path.join(dir, KEY_FILE_NAME), 'utf8').trim(), 'base64');
    warnings.length = 0;
    const ring = await loadKeyring({ key, dataDir: dir, production: true, logger });
    expect(ring.current.id).toBe(generated.current.id);
    expect([...ring.byId.keys()]).toEqual([generated.current.id]);
    expect(warnings).toEqual([]);
  });

  it('fails naming the file when the key file is not a key', async () => {
    const dir = dataDir();
    writeFileSync(path.join(dir, KEY_FILE_NAME), 'not a key\n');
    const { logger } = recordingLogger();
    await expect(loadKeyring({ key: undefined, dataDir: dir, production: false, logger })).rejects.toThrow(
      `${path.join(dir, KEY_FILE_NAME)} does not hold an encryption key`,
    );
  });
});
