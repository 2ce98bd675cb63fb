import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { startApiServer, type ApiServer } from '../../test/helpers/api-server.ts';
import { ManualClock } from '../time/clock.ts';
import { databaseNow } from './doctor.repo.ts';
import { runDoctor, type CheckResult, type DoctorInputs, type DoctorSettings } from './doctor.ts';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function privateDataDir(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'tide-doctor-svc-'));
  roots.push(root);
  const dir = path.join(root, 'data');
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

function settings(overrides: Partial<DoctorSettings> = {}): DoctorSettings {
  return {
    dataDir: '/nonexistent/tide-doctor',
    databaseUrl: undefined,
    tofuBin: undefined,
    searchPath: process.env.PATH,
    host: '0.0.0.0',
    publicUrl: 'https://tide.example.com',
    corsOrigins: [],
    trustProxy: ['10.0.0.5'],
    accessTokenTtlMs: 15 * 60_000,
    refreshTokenTtlMs: 7 * 86_400_000,
    lockoutThreshold: 5,
    lockoutDurationMs: 15 * 60_000,
    backupSchedule: '0 3 * * *',
    backupDir: '/var/backups/tide',
    ...overrides,
  };
}

const NOW = new Date('2026-12-01T12:00:00Z');

function inputs(
  overrides: Partial<DoctorInputs> = {},
  settingOverrides: Partial<DoctorSettings> = {},
): DoctorInputs {
  return {
    production: true,
    settings: settings(settingOverrides),
    invalid: {},
    secrets: [],
    clock: new ManualClock(NOW),
    ...overrides,
  };
}

async function check(name: string, given: DoctorInputs): Promise<CheckResult> {
  const report = await runDoctor(given);
  const found = report.checks.find((c) => c.check === name);
  if (!found) throw new Error(`no ${name} check in ${JSON.stringify(report.checks)}`);
  return found;
}

describe('doctor: backups', () => {
  it('reports the age of the last backup when it is recent', async () => {
    const last = new Date(NOW.getTime() - 3 * 3_600_000);
    const result = await check('backups', inputs({ lastSuccessfulBackup: async () => last }));
    expect(result).toEqual({
      check: 'backups',
      status: 'ok',
      message: 'schedule 0 3 * * * into /var/backups/tide; last backup 3h ago',
    });
  });

  it('fails when the last backup is older than 26 hours', async () => {
    const last = new Date(NOW.getTime() - 27 * 3_600_000);
    const result = await check('backups', inputs({ lastSuccessfulBackup: async () => last }));
    expect(result.status).toBe('fail');
    expect(result.message).toContain('last backup 1d3h ago (older than 1d2h)');
  });

  it('fails when no backup has ever succeeded', async () => {
    const result = await check('backups', inputs({ lastSuccessfulBackup: async () => null }));
    expect(result).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('no backup has succeeded yet'),
    });
  });

  it('fails, naming the error, when the last backup cannot be read', async () => {
    const lastSuccessfulBackup = () => Promise.reject(new Error('EACCES: /var/backups/tide'));
    expect(await check('backups', inputs({ lastSuccessfulBackup }))).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('cannot read the last backup: EACCES: /var/backups/tide'),
    });
  });

  it('needs no TIDE_BACKUP_DIR (it has a default), naming the default directory', async () => {
    const last = new Date(NOW.getTime() - 3 * 3_600_000);
    const result = await check(
      'backups',
      inputs({ lastSuccessfulBackup: async () => last }, { backupDir: undefined }),
    );
    expect(result).toMatchObject({ status: 'ok' });
    expect(result.message).toMatch(/^schedule 0 3 \* \* \* into .*backups; last backup 3h ago$/);
  });

  it('counts a recent backup taken by tide backup create without a schedule', async () => {
    const last = new Date(NOW.getTime() - 3_600_000);
    const given = { backupSchedule: undefined };
    expect(await check('backups', inputs({ lastSuccessfulBackup: async () => last }, given))).toMatchObject({
      status: 'ok',
      message: 'TIDE_BACKUP_SCHEDULE not set; last backup 1h ago',
    });
  });

  it('without a schedule or any backup: fails in production, warns elsewhere', async () => {
    const given = { backupSchedule: undefined };
    const none = { lastSuccessfulBackup: async () => null };
    expect(await check('backups', inputs(none, given))).toMatchObject({
      status: 'fail',
      message: 'not configured: TIDE_BACKUP_SCHEDULE not set, and no backup taken',
    });
    expect((await check('backups', inputs({ ...none, production: false }, given))).status).toBe('warn');
    expect((await check('backups', inputs({ production: false }, given))).status).toBe('warn');
  });
});

describe('doctor: settings', () => {
  it('fails a lockout threshold or token lifetime beyond sane bounds in production', async () => {
    expect(await check('login lockout', inputs({}, { lockoutThreshold: 50 }))).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('TIDE_LOGIN_LOCKOUT_THRESHOLD is 50'),
    });
    expect(await check('login lockout', inputs({}, { lockoutDurationMs: 5000 }))).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('TIDE_LOGIN_LOCKOUT_DURATION is 5s'),
    });
    expect(await check('token lifetimes', inputs({}, { accessTokenTtlMs: 86_400_000 }))).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('TIDE_ACCESS_TOKEN_TTL is 1d'),
    });
    expect(await check('token lifetimes', inputs({}, { refreshTokenTtlMs: 90 * 86_400_000 }))).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('TIDE_REFRESH_TOKEN_TTL is 90d'),
    });
    expect(
      (await check('token lifetimes', inputs({ production: false }, { accessTokenTtlMs: 86_400_000 })))
        .status,
    ).toBe('warn');
  });

  it('judges CORS origins: plain http (other than loopback) is refused in production', async () => {
    expect(
      await check('CORS', inputs({}, { corsOrigins: ['http://app.example.com', 'https://ok.example.com'] })),
    ).toMatchObject({
      status: 'fail',
      message: 'credentials allowed for non-https origins: http://app.example.com',
    });
    expect((await check('CORS', inputs({}, { corsOrigins: ['http://localhost:3000'] }))).status).toBe('ok');
  });

  it('judges proxy trust against the public URL and the listener', async () => {
    expect(await check('proxy trust', inputs({}, { trustProxy: ['0.0.0.0/0'] }))).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('trusts every address (0.0.0.0/0)'),
    });
    expect(await check('proxy trust', inputs({}, { trustProxy: 1 }))).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('can forge X-Forwarded-For'),
    });
    expect((await check('proxy trust', inputs({}, { trustProxy: 1, host: '127.0.0.1' }))).status).toBe('ok');
    expect(await check('proxy trust', inputs({}, { trustProxy: false }))).toMatchObject({
      status: 'warn',
      message: expect.stringContaining('TIDE_TRUST_PROXY is unset'),
    });
    const direct = { trustProxy: false as const, publicUrl: 'http://127.0.0.1:8080', host: '127.0.0.1' };
    expect((await check('proxy trust', inputs({}, direct))).status).toBe('ok');
  });

  it('fails an http public URL only in production', async () => {
    const http = { publicUrl: 'http://tide.example.com' };
    expect((await check('public URL', inputs({}, http))).status).toBe('fail');
    expect((await check('public URL', inputs({ production: false }, http))).status).toBe('warn');
    expect((await check('public URL', inputs({}, { publicUrl: undefined }))).message).toBe(
      'TIDE_PUBLIC_URL is not set',
    );
  });

  it('fails an engine that TIDE_TOFU_BIN names but does not exist', async () => {
    const result = await check('engine', inputs({}, { tofuBin: '/nonexistent/tofu' }));
    expect(result.status).toBe('fail');
    expect(result.message).toContain('TIDE_TOFU_BIN=/nonexistent/tofu');
  });
});

forEachDialect('doctor: database and clock', (harness) => {
  it('reports the database, its migration level and the clock against the server', async () => {
    const options = await harness.freshDatabase();
    await harness.open(options);
    const dataDir = harness.dialect === 'sqlite' ? options.dataDir : await privateDataDir();
    const clock = { now: () => new Date() };
    const report = await runDoctor(inputs({ clock }, { dataDir, databaseUrl: options.url }));
    const byName = Object.fromEntries(report.checks.map((c) => [c.check, c]));
    expect(byName.database?.status).toBe('ok');
    expect(byName.migrations).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('tide db migrate'),
    });
    expect(byName.clock?.status).toBe('ok');
  });

  it.runIf(harness.dialect === 'postgres')(
    "fails when this machine's clock is minutes away from the database server's",
    async () => {
      const options = await harness.freshDatabase();
      const store = await harness.open(options);
      const serverNow = await databaseNow(store.db);
      const clock = new ManualClock(new Date(serverNow.getTime() + 10 * 60_000));
      const result = await check(
        'clock',
        inputs({ clock }, { dataDir: await privateDataDir(), databaseUrl: options.url }),
      );
      expect(result.status).toBe('fail');
      expect(result.message).toMatch(/^this machine's clock is (9m\d+s|10m) ahead of the database server's$/);
    },
  );

  it.runIf(harness.dialect === 'postgres')(
    'fails a database that does not answer, naming it without its password',
    async () => {
      const options = await harness.freshDatabase();
      const url = new URL(options.url!);
      url.pathname = '/tide_doctor_no_such_database';
      url.password = 'hunter2-secret';
      const report = await runDoctor(
        inputs({}, { dataDir: await privateDataDir(), databaseUrl: url.toString() }),
      );
      const database = report.checks.find((c) => c.check === 'database');
      expect(database?.status).toBe('fail');
      expect(JSON.stringify(report)).not.toContain('hunter2-secret');
    },
  );
});

describe('doctor --url', () => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("lists a ready server's checks", async () => {
    server.fixture.readiness = {
      ok: true,
      checks: { database: { ok: true }, scheduler: { ok: true }, engine: { ok: true, detail: 'tofu 1.8.3' } },
    };
    const report = await runDoctor(inputs({ serverUrl: server.url }));
    const lines = report.checks.filter((c) => c.check.startsWith('server'));
    expect(lines).toEqual([
      { check: 'server', status: 'ok', message: `${server.url} is ready` },
      { check: 'server database', status: 'ok', message: 'ok' },
      { check: 'server scheduler', status: 'ok', message: 'ok' },
      { check: 'server engine', status: 'ok', message: 'tofu 1.8.3' },
    ]);
  });

  it('fails on a server that is not ready, naming its failing subsystem', async () => {
    server.fixture.readiness = {
      ok: false,
      checks: { database: { ok: true }, scheduler: { ok: false, detail: 'restarting in 5s' } },
    };
    const report = await runDoctor(inputs({ serverUrl: `${server.url}/` }));
    expect(report.ok).toBe(false);
    expect(report.checks).toContainEqual({
      check: 'server scheduler',
      status: 'fail',
      message: 'restarting in 5s',
      fix: 'see the server log',
    });
    expect(report.checks.find((c) => c.check === 'server')?.status).toBe('fail');
  });

  it('fails on an address where no Tide answers', async () => {
    const report = await runDoctor(inputs({ serverUrl: `${server.url}/api/health/live#` }));
    expect(report.checks.find((c) => c.check === 'server')).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('without readiness checks'),
    });
  });
});
