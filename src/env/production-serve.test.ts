import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTide } from '../../test/helpers/run-tide.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('tide serve with TIDE_ENV=production', () => {
  it('refuses to start with missing or weak secrets, naming each, before touching the data directory', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-prod-'));
    dirs.push(dataDir);
    const result = runTide(['serve', '--data-dir', dataDir, '--config-dir', dataDir, '--port', '18080'], {
      TIDE_ENV: 'production',
      TIDE_JWT_SECRET: 'changeme-changeme-changeme-changeme',
      TIDE_ENCRYPTION_KEY: '',
      TIDE_DATABASE_URL: '',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('refusing to start with TIDE_ENV=production');
    expect(result.stderr).toContain('TIDE_ENCRYPTION_KEY is not set');
    expect(result.stderr).toContain('TIDE_JWT_SECRET contains "changeme"');
    // No database, no generated key: nothing happened.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('names a malformed key in any mode', () => {
    const result = runTide(['serve', '--port', '18080'], {
      TIDE_ENV: 'production',
      TIDE_JWT_SECRET: randomBytes(48).toString('base64'),
      TIDE_ENCRYPTION_KEY: 'c2hvcnQ=',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/TIDE_ENCRYPTION_KEY: expected 32 bytes as base64 or as 64 hex characters/);
  });
});
