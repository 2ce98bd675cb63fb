import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecretFile, readSecretFile } from './secret-file.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-secret-file-'));
  dirs.push(dir);
  return dir;
}

describe('readSecretFile', () => {
  it('returns the text without surrounding whitespace', async () => {
    const file = path.join(dataDir(), 'audit-key');
    writeFileSync(file, '  s3cret \n');
    expect(await readSecretFile(file)).toBe('s3cret');
  });

  it('returns null when the file does not exist', async () => {
    expect(await readSecretFile(path.join(dataDir(), 'missing'))).toBeNull();
  });

  it('fails on any other read error rather than treating it as a missing key', async () => {
    const dir = dataDir();
    mkdirSync(path.join(dir, 'encryption-key'));
    await expect(readSecretFile(path.join(dir, 'encryption-key'))).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('createSecretFile', () => {
  it('writes the secret on its own line into a file only its owner can read', async () => {
    const file = path.join(dataDir(), 'encryption-key');
    expect(await createSecretFile(file, 'first')).toBe('first');
    expect(readFileSync(file, 'utf8')).toBe('first\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('keeps the secret another process wrote first and returns that one', async () => {
    const file = path.join(dataDir(), 'encryption-key');
    await createSecretFile(file, 'first');
    expect(await createSecretFile(file, 'second')).toBe('first');
    expect(readFileSync(file, 'utf8')).toBe('first\n');
  });

  it('fails when the name is taken but holds no readable secret (a dangling link)', async () => {
    const dir = dataDir();
    const file = path.join(dir, 'audit-key');
    symlinkSync(path.join(dir, 'nowhere'), file);
    await expect(createSecretFile(file, 'secret')).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('fails when the file cannot be created, e.g. its directory is missing', async () => {
    const file = path.join(dataDir(), 'no-such-dir', 'jwt-secret');
    await expect(createSecretFile(file, 'secret')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
