import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTideInProcess as tide } from '../../test/helpers/run-cli.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('tide serve with TIDE_ENV=production', () => {
  it('refuses to start with missing or weak secrets, naming each, before touching the data directory', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-prod-'));
    dirs.push(dataDir);
    const result = await tide(['serve', '--data-dir', dataDir, '--config-dir', dataDir, '--port', '18080'], {
      env: { TIDE_ENV: 'production', TIDE_JWT_SECRET: 'changeme-changeme-changeme-changeme' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('refusing to start with TIDE_ENV=production');
    expect(result.stderr).toContain('TIDE_ENCRYPTION_KEY is not set');
    expect(result.stderr).toContain('TIDE_JWT_SECRET contains "changeme"');
    // No database, no generated key: nothing happened.
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('names a malformed key in any mode', async () => {
    const result = await tide(['serve', '--port', '18080'], {
      env: {
        TIDE_ENV: 'production',
        TIDE_JWT_SECRET: randomBytes(48).toString('base64'),
        TIDE_ENCRYPTION_KEY: 'c2hvcnQ=',
      },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/TIDE_ENCRYPTION_KEY: expected 32 bytes as base64 or as 64 hex characters/);
  });
});

describe('tide serve without a configuration directory', () => {
  it('says how to pass --config-dir when nothing names one and there is no ./config, touching nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tide-noconfig-'));
    dirs.push(dir);
    const result = await tide(['serve', '--data-dir', dir, '--port', '18080'], { cwd: dir });
    expect(result.stderr).toBe(
      `tide: no configuration directory: pass --config-dir <dir> or set TIDE_CONFIG_DIR (there is no ./config in ${dir})\n`,
    );
    expect(result.status).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });
});
