import {
  existsSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { secureDataDir } from './data-dir.ts';

// The usual umask, so what is private is private because secureDataDir made it so.
let umask: number;
beforeAll(() => (umask = process.umask(0o022)));
afterAll(() => process.umask(umask));

const modeOf = (file: string): number => statSync(file).mode & 0o777;

function recordingLogger() {
  const warnings: Array<{ fields: object; message: string }> = [];
  return { warnings, warn: (fields: object, message: string) => void warnings.push({ fields, message }) };
}

describe('secureDataDir', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'tide-datadir-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('creates the data directory and its runs and plugin-cache directories 0700 (state lives in the database)', async () => {
    const dataDir = path.join(scratch, 'data');
    const logger = recordingLogger();
    await secureDataDir(dataDir, logger);

    expect(existsSync(path.join(dataDir, 'state'))).toBe(false);
    for (const dir of ['', 'runs', 'plugin-cache']) expect(modeOf(path.join(dataDir, dir)), dir).toBe(0o700);
    expect(logger.warnings).toEqual([]);
  });

  it('tightens what Tide wrote there before, leaves other files and link targets alone, and says what it changed', async () => {
    const dataDir = path.join(scratch, 'data');
    mkdirSync(path.join(dataDir, 'state', 'web'), { recursive: true, mode: 0o755 });
    chmodSync(dataDir, 0o755);
    for (const file of ['jwt-secret', 'encryption-key', 'audit-key', 'audit-checkpoint', 'notes.txt'])
      writeFileSync(path.join(dataDir, file), 'x', { mode: 0o644 });
    writeFileSync(path.join(dataDir, 'state', 'web', 'terraform.tfstate'), '{}', { mode: 0o644 });
    const outside = path.join(scratch, 'outside');
    writeFileSync(outside, 'x', { mode: 0o644 });
    symlinkSync(outside, path.join(dataDir, 'initial-admin-password'));
    const logger = recordingLogger();

    await secureDataDir(dataDir, logger);

    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(path.join(dataDir, 'state', 'web'))).toBe(0o700);
    for (const file of ['jwt-secret', 'encryption-key', 'audit-key', 'audit-checkpoint'])
      expect(modeOf(path.join(dataDir, file)), file).toBe(0o600);
    expect(modeOf(path.join(dataDir, 'state', 'web', 'terraform.tfstate'))).toBe(0o600);
    expect(modeOf(path.join(dataDir, 'notes.txt'))).toBe(0o644);
    expect(modeOf(outside)).toBe(0o644);
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]?.fields).toEqual({
      paths: expect.arrayContaining([dataDir, path.join(dataDir, 'audit-key')]),
    });
  });
});
