import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrate.ts';
import { forEachDialect } from '../../../test/helpers/databases.ts';
import { runTideInProcess as tide } from '../../../test/helpers/run-cli.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  roots.push(dir);
  return dir;
}

/** A production environment as docs/production-readiness.md asks for it: generated secrets, https, backups. */
function productionEnv(dataDir: string, databaseUrl?: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    TIDE_ENV: 'production',
    TIDE_DATA_DIR: dataDir,
    ...(databaseUrl ? { TIDE_DATABASE_URL: databaseUrl } : {}),
    TIDE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TIDE_JWT_SECRET: randomBytes(48).toString('base64'),
    TIDE_AUDIT_KEY: randomBytes(48).toString('base64'),
    TIDE_PUBLIC_URL: 'https://tide.example.com',
    TIDE_TRUST_PROXY: '10.0.0.5',
    TIDE_CORS_ORIGINS: 'https://portal.example.com',
    TIDE_BACKUP_SCHEDULE: '0 3 * * *',
    TIDE_BACKUP_DIR: path.join(dataDir, '..', 'backups'),
  };
}

interface JsonReport {
  ok: boolean;
  production: boolean;
  checks: { check: string; status: 'ok' | 'warn' | 'fail'; message: string; fix?: string }[];
}

forEachDialect('tide doctor --production', (harness) => {
  it('passes on a correctly configured deployment: migrated database, engine, private data directory, https', async () => {
    const options = await harness.freshDatabase();
    const store = await harness.open(options);
    await migrateToLatest(store);
    const dataDir = path.join(await tempDir('tide-doctor-'), 'data');
    await mkdir(dataDir, { mode: 0o700 });
    if (harness.dialect === 'sqlite') {
      const local = await openDatabase({ dataDir });
      await migrateToLatest(local);
      await local.close();
    }
    await writeFile(path.join(dataDir, 'audit-checkpoint'), '1:abc', { mode: 0o600 });

    const env = productionEnv(dataDir, options.url);
    const backup = await tide(['backup', 'create', '--output', path.join(dataDir, '..', 'first.tar')], {
      env,
    });
    expect(backup.status, backup.stderr).toBe(0);

    const result = await tide(['doctor', '--production'], { env });

    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('FAIL'))).toEqual([]);
    for (const check of [
      'secret TIDE_ENCRYPTION_KEY: set and strong',
      'secret TIDE_JWT_SECRET: set and strong',
      'secret TIDE_AUDIT_KEY: set and strong',
      `database: ${harness.dialect} at`,
      'migrations: at the latest level',
      'engine: ',
      `data directory: ${dataDir} is 0700`,
      'data files: every file',
      'public URL: https://tide.example.com',
      'CORS: credentials allowed for https://portal.example.com',
      'proxy trust: X-Forwarded-For believed from 10.0.0.5',
      'login lockout: 5 failures lock for 15m',
      'token lifetimes: access 15m, refresh 7d',
      'clock: ',
    ]) {
      expect(
        lines.some((line) => line.startsWith(`ok    ${check}`)),
        check,
      ).toBe(true);
    }
    expect(lines).toContainEqual(
      expect.stringMatching(/^ok {4}backups: schedule 0 3 \* \* \* into .*; last backup \S+ ago$/),
    );
    expect(lines.at(-1)).toMatch(/^0 failed, 0 warnings, \d+ ok — production rules$/);
  });

  it('names each failure of a misconfigured deployment and exits 1', async () => {
    const options = await harness.freshDatabase();
    const dataDir = path.join(await tempDir('tide-doctor-bad-'), 'data');
    await mkdir(dataDir);
    await chmod(dataDir, 0o755);
    if (harness.dialect === 'sqlite') {
      // Created but never migrated.
      const local = await openDatabase({ dataDir });
      await local.close();
    } else {
      await (await harness.open(options)).close();
    }
    await writeFile(path.join(dataDir, 'jwt-secret'), randomBytes(48).toString('base64'), { mode: 0o644 });
    await chmod(path.join(dataDir, 'jwt-secret'), 0o644);
    const env = productionEnv(dataDir, options.url);
    env.TIDE_JWT_SECRET = 'changeme-changeme-changeme-changeme';
    env.TIDE_PUBLIC_URL = 'http://tide.example.com';
    env.TIDE_CORS_ORIGINS = '*';
    delete env.TIDE_AUDIT_KEY;
    delete env.TIDE_BACKUP_SCHEDULE;
    delete env.TIDE_BACKUP_DIR;

    const result = await tide(['doctor', '--production'], { env });

    expect(result.status).toBe(1);
    const failures = result.stdout.split('\n').filter((line) => line.startsWith('FAIL'));
    const expected = [
      'FAIL  secret TIDE_JWT_SECRET: weak: contains "changeme"',
      'FAIL  secret TIDE_AUDIT_KEY: not set',
      'FAIL  migrations: ',
      `FAIL  data directory: ${dataDir} is 0755, not 0700 — fix: chmod 700`,
      'FAIL  data files: open to group or others: jwt-secret (0644)',
      'FAIL  public URL: http://tide.example.com is not https',
      'FAIL  CORS: TIDE_CORS_ORIGINS is invalid',
      'FAIL  backups: not configured: TIDE_BACKUP_SCHEDULE not set, and no backup',
    ];
    for (const start of expected)
      expect(
        failures.some((line) => line.startsWith(start)),
        start,
      ).toBe(true);
    expect(failures).toHaveLength(expected.length);
    expect(result.stdout).toMatch(/migrations: \d+ pending: 0001_/);
    // A secret's value is never echoed.
    expect(result.stdout).not.toContain(env.TIDE_ENCRYPTION_KEY);
  });
});

describe('tide doctor', () => {
  it('prints a JSON report: ok, production and one entry per check with status, message and fix', async () => {
    const dataDir = path.join(await tempDir('tide-doctor-json-'), 'missing');
    const result = await tide(['doctor', '--json'], { env: { PATH: '', TIDE_DATA_DIR: dataDir } });

    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.ok).toBe(false);
    expect(report.production).toBe(false);
    for (const check of report.checks) {
      expect(Object.keys(check).sort()).toEqual(
        check.status === 'ok' ? ['check', 'message', 'status'] : ['check', 'fix', 'message', 'status'],
      );
    }
    const byName = Object.fromEntries(report.checks.map((check) => [check.check, check]));
    expect(byName.database).toMatchObject({
      status: 'fail',
      message: `no SQLite database at ${dataDir}/tide.db`,
    });
    expect(byName.engine?.status).toBe('fail');
    expect(byName['data directory']?.status).toBe('fail');
    // Outside production an unset secret (generated in the data directory) and no backups only warn.
    expect(byName['secret TIDE_JWT_SECRET']?.status).toBe('warn');
    expect(byName.backups?.status).toBe('warn');
    expect(byName['public URL']?.status).toBe('warn');
    // Nothing was created: the doctor only looks.
    await expect(import('node:fs/promises').then((fs) => fs.stat(dataDir))).rejects.toThrow(/ENOENT/);
  });

  it('reports an invalid variable and still runs the other checks', async () => {
    const dataDir = await tempDir('tide-doctor-env-');
    const result = await tide(['doctor'], {
      env: {
        PATH: '',
        TIDE_DATA_DIR: dataDir,
        TIDE_ACCESS_TOKEN_TTL: 'forever',
        TIDE_TRUST_PROXY: '0',
        TIDE_ENCRYPTION_KEY: 'c2hvcnQ=',
        TIDE_DATABASE_URL: 'mysql://tide@db/tide',
      },
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/^FAIL {2}environment: TIDE_ACCESS_TOKEN_TTL is invalid: /m);
    expect(result.stdout).toMatch(
      /^FAIL {2}proxy trust: TIDE_TRUST_PROXY is invalid: a hop count must be at least 1/m,
    );
    expect(result.stdout).toMatch(/^ok {4}token lifetimes: access 15m/m);
    expect(result.stdout).toMatch(
      /^FAIL {2}secret TIDE_ENCRYPTION_KEY: invalid: expected 32 bytes .* — fix: generate one: openssl rand -base64 32$/m,
    );
    expect(result.stdout).toMatch(
      /^FAIL {2}database: TIDE_DATABASE_URL is invalid: expected a postgres:\/\//m,
    );
    // Each invalid variable is reported once, under its own check.
    expect(result.stdout.match(/environment: /g)).toHaveLength(1);
  });
});
