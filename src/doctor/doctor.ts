/**
 * `tide doctor`: one verdict per aspect of a deployment — secrets, database, engine, data directory,
 * public URL, CORS, proxy trust, login and token settings, backups, clock — each `ok`, `warn` or `fail`
 * with what was found and how to fix it (docs/production-readiness.md). It reads the configuration and
 * the database as `tide serve` would, and changes nothing: no migration, no generated key, no directory.
 *
 * With `production` set (`--production`, or TIDE_ENV=production), what is only unwise elsewhere is a
 * failure: an http public URL, no backups, secrets left to be generated in the data directory.
 */
import { existsSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { lastSuccessfulBackup } from '../backup/backup.ts';
import { discoverEngine } from '../engine/engine.ts';
import { openDatabase, pingDatabase, SQLITE_FILE, type Store } from '../store/database.ts';
import { migrationLevel } from '../store/migrate.ts';
import type { Clock } from '../time/clock.ts';
import { formatDuration } from '../time/duration.ts';
import type { TrustProxy } from '../auth/trust-proxy.ts';
import { databaseNow } from './doctor.repo.ts';
import { serverReadiness } from './server-readiness.ts';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable name of the check (`secrets`, `database`, …); docs/production-readiness.md lists them. */
  readonly check: string;
  readonly status: CheckStatus;
  /** What was found. */
  readonly message: string;
  /** How to fix it (warn and fail only). */
  readonly fix?: string;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly production: boolean;
  readonly checks: readonly CheckResult[];
}

/** One secret variable as the env layer judged it (src/env/production-checks.ts). */
export interface SecretFinding {
  readonly name: string;
  readonly set: boolean;
  /** Why its value is weak (`is 12 bytes; …`, `contains "changeme" …`), or null. */
  readonly weakness: string | null;
  /** A secret of a feature that may be off (OIDC): unset is fine. */
  readonly optional: boolean;
}

/** The settings the checks read: the parsed environment, as `tide serve` would see it. */
export interface DoctorSettings {
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly tofuBin: string | undefined;
  /** Where `tofu`/`terraform` are looked for. */
  readonly searchPath: string | undefined;
  readonly host: string;
  readonly publicUrl: string | undefined;
  readonly corsOrigins: readonly string[];
  readonly trustProxy: TrustProxy;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly lockoutThreshold: number;
  readonly lockoutDurationMs: number;
  /** TIDE_BACKUP_SCHEDULE and TIDE_BACKUP_DIR, as set (src/backup reads and validates them). */
  readonly backupSchedule: string | undefined;
  readonly backupDir: string | undefined;
}

export interface DoctorInputs {
  readonly production: boolean;
  readonly settings: DoctorSettings;
  /** Variables whose value does not parse, by name, with why; the checks read them as unset. */
  readonly invalid: Readonly<Record<string, string>>;
  readonly secrets: readonly SecretFinding[];
  readonly clock: Clock;
  /** When the cluster's last backup succeeded (null: never); absent when this build cannot tell. */
  readonly lastSuccessfulBackup?: () => Promise<Date | null>;
  /** A running server whose `/api/health/ready` is asked too (`--url`). */
  readonly serverUrl?: string;
  /** How long a PostgreSQL connection may take (default 10 s). */
  readonly connectTimeoutMs?: number;
}

/** A backup older than this fails: a daily schedule plus two hours of slack. */
export const BACKUP_MAX_AGE_MS = 26 * 3_600_000;
/** Clock offsets from the database server: up to 1 s is fine, up to 5 s a warning, beyond a failure. */
export const CLOCK_WARN_MS = 1000;
export const CLOCK_FAIL_MS = 5000;
/** Sane bounds of the login and token settings (the env schema's own bounds are wider). */
export const SETTING_BOUNDS = {
  accessTokenTtlMaxMs: 3_600_000,
  refreshTokenTtlMaxMs: 30 * 86_400_000,
  lockoutThresholdMax: 20,
  lockoutDurationMinMs: 60_000,
} as const;

/** Runs every check, in the order docs/production-readiness.md lists them. */
export async function runDoctor(inputs: DoctorInputs): Promise<DoctorReport> {
  const checks: CheckResult[] = [];
  checks.push(...invalidVariables(inputs));
  checks.push(...secretChecks(inputs));
  checks.push(...(await databaseChecks(inputs)));
  checks.push(await engineCheck(inputs.settings));
  checks.push(...(await dataDirChecks(inputs.settings.dataDir)));
  checks.push(publicUrlCheck(inputs));
  checks.push(corsCheck(inputs));
  checks.push(trustProxyCheck(inputs));
  checks.push(...authSettingChecks(inputs));
  checks.push(await backupCheck(inputs));
  if (inputs.serverUrl !== undefined) checks.push(...(await serverChecks(inputs.serverUrl)));
  return { ok: checks.every((c) => c.status !== 'fail'), production: inputs.production, checks };
}

const ok = (check: string, message: string): CheckResult => ({ check, status: 'ok', message });
const bad = (check: string, status: CheckStatus, message: string, fix: string): CheckResult => ({
  check,
  status,
  message,
  fix,
});
/** Unwise anywhere, a failure in production. */
const severity = (production: boolean): CheckStatus => (production ? 'fail' : 'warn');

/** The variables the focused checks below report themselves. */
const REPORTED_BY_CHECKS = new Set([
  'TIDE_CORS_ORIGINS',
  'TIDE_TRUST_PROXY',
  'TIDE_PUBLIC_URL',
  'TIDE_DATABASE_URL',
]);

function invalidVariables(inputs: DoctorInputs): CheckResult[] {
  const secrets = new Set(inputs.secrets.map((secret) => secret.name));
  return Object.entries(inputs.invalid)
    .filter(([name]) => !REPORTED_BY_CHECKS.has(name) && !secrets.has(name))
    .map(([name, why]) =>
      bad('environment', 'fail', `${name} is invalid: ${why}`, `fix ${name} (docs/configuration.md)`),
    );
}

function secretChecks(inputs: DoctorInputs): CheckResult[] {
  return inputs.secrets.map((secret) => {
    const check = `secret ${secret.name}`;
    if (inputs.invalid[secret.name] !== undefined)
      return bad(
        check,
        'fail',
        `invalid: ${inputs.invalid[secret.name]}`,
        `generate one: ${generate(secret.name)}`,
      );
    if (!secret.set) {
      if (secret.optional) return ok(check, 'not set (the feature it belongs to is off)');
      return bad(
        check,
        severity(inputs.production),
        inputs.production
          ? 'not set: a production server refuses to start without it'
          : 'not set: Tide generates one in the data directory, which a second replica or a restore elsewhere does not share',
        `set ${secret.name} from your secret store (${generate(secret.name)}; docs/security.md)`,
      );
    }
    if (secret.weakness !== null)
      return bad(
        check,
        'fail',
        `weak: ${secret.weakness}`,
        `replace it with a generated value (${generate(secret.name)}) and follow the rotation steps in docs/security.md`,
      );
    return ok(check, 'set and strong');
  });
}

async function databaseChecks(inputs: DoctorInputs): Promise<CheckResult[]> {
  const { settings } = inputs;
  const invalidUrl = inputs.invalid.TIDE_DATABASE_URL;
  if (invalidUrl !== undefined)
    return [
      bad(
        'database',
        'fail',
        `TIDE_DATABASE_URL is invalid: ${invalidUrl}`,
        'set a postgres:// URL, or leave it unset for SQLite in the data directory',
      ),
    ];
  const url = settings.databaseUrl?.trim() ?? '';
  if (url === '') {
    // Opening SQLite creates the file: a missing database is reported, not made.
    const file = path.join(settings.dataDir, SQLITE_FILE);
    const found = await stat(file).catch(() => null);
    if (!found?.isFile())
      return [
        bad(
          'database',
          'fail',
          `no SQLite database at ${file}`,
          'check TIDE_DATA_DIR, or create it with `tide db migrate` (tide serve also does)',
        ),
      ];
  }
  let store: Store;
  try {
    store = await openDatabase({
      url: settings.databaseUrl,
      dataDir: settings.dataDir,
      connectTimeoutMs: inputs.connectTimeoutMs ?? 10_000,
    });
  } catch (error) {
    return [
      bad(
        'database',
        'fail',
        `cannot open: ${messageOf(error)}`,
        'check TIDE_DATABASE_URL and that the server is up',
      ),
    ];
  }
  try {
    try {
      await pingDatabase(store.db);
    } catch (error) {
      return [
        bad(
          'database',
          'fail',
          `${store.location} does not answer: ${messageOf(error)}`,
          'check TIDE_DATABASE_URL, the credentials and the network',
        ),
      ];
    }
    const results = [ok('database', `${store.dialect} at ${store.location} answers`)];
    const level = await migrationLevel(store).catch((error: unknown) => messageOf(error));
    if (typeof level === 'string')
      return [
        ...results,
        bad(
          'migrations',
          'fail',
          `cannot read the migration level: ${level}`,
          'check the database user’s rights',
        ),
      ];
    results.push(
      level.pending.length === 0
        ? ok('migrations', `at the latest level (${level.applied.at(-1) ?? 'none'})`)
        : bad(
            'migrations',
            'fail',
            `${level.pending.length} pending: ${level.pending.join(', ')}`,
            'run `tide db migrate` (tide serve also migrates at start)',
          ),
    );
    results.push(
      await clockCheck(store, inputs.clock).catch((error: unknown) =>
        bad(
          'clock',
          'fail',
          `cannot read the database server's clock: ${messageOf(error)}`,
          'check the database user’s rights',
        ),
      ),
    );
    return results;
  } finally {
    await store.close();
  }
}

/**
 * Every replica compares its clock with the database server's: leases, lockouts and schedules assume
 * replicas agree, and two replicas each within the bound of the server are within twice it of each other.
 * SQLite has one replica and no server clock.
 */
async function clockCheck(store: Store, clock: Clock): Promise<CheckResult> {
  if (store.dialect !== 'postgres') return ok('clock', 'one replica (SQLite): no clock to agree with');
  const before = clock.now().getTime();
  const server = (await databaseNow(store.db)).getTime();
  const after = clock.now().getTime();
  const local = before + (after - before) / 2;
  const skew = server - local;
  // The server read its clock somewhere in the round trip: only what lies beyond half of it is skew.
  const size = Math.max(0, Math.abs(skew) - (after - before) / 2);
  const what = `this machine's clock is ${formatDuration(Math.round(size / 1000) * 1000)} ${skew > 0 ? 'behind' : 'ahead of'} the database server's`;
  if (size <= CLOCK_WARN_MS)
    return ok('clock', `within ${formatDuration(CLOCK_WARN_MS)} of the database server's`);
  return bad(
    'clock',
    size > CLOCK_FAIL_MS ? 'fail' : 'warn',
    what,
    'synchronise every replica and the database server with NTP (chrony, systemd-timesyncd)',
  );
}

async function engineCheck(settings: DoctorSettings): Promise<CheckResult> {
  try {
    const engine = await discoverEngine({ tofuBin: settings.tofuBin, path: settings.searchPath });
    return ok('engine', `${engine.name} ${engine.version} (${engine.bin})`);
  } catch (error) {
    return bad(
      'engine',
      'fail',
      messageOf(error),
      'install tofu or terraform on PATH, or set TIDE_TOFU_BIN (not needed on a replica without the runner role)',
    );
  }
}

/** The data directory is 0700 and nothing at its top level is open to group or others (docs/security.md). */
async function dataDirChecks(dataDir: string): Promise<CheckResult[]> {
  const dir = path.resolve(dataDir);
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory())
    return [
      bad(
        'data directory',
        'fail',
        `${dir} does not exist or is not a directory`,
        'check TIDE_DATA_DIR; tide serve creates it 0700',
      ),
    ];
  const results: CheckResult[] = [];
  const mode = info.mode & 0o777;
  results.push(
    mode === 0o700
      ? ok('data directory', `${dir} is 0700`)
      : bad(
          'data directory',
          'fail',
          `${dir} is ${octal(mode)}, not 0700`,
          `chmod 700 ${dir} (tide serve also tightens it at start)`,
        ),
  );
  const open: string[] = [];
  for (const entry of await readdir(dir)) {
    const target = path.join(dir, entry);
    const entryInfo = await lstat(target).catch(() => null);
    if (!entryInfo || entryInfo.isSymbolicLink()) continue;
    if ((entryInfo.mode & 0o077) !== 0) open.push(`${entry} (${octal(entryInfo.mode & 0o777)})`);
  }
  results.push(
    open.length === 0
      ? ok('data files', 'every file and directory in it is private to its owner (0600/0700)')
      : bad(
          'data files',
          'fail',
          `open to group or others: ${open.join(', ')}`,
          `chmod go-rwx on them (files 0600, directories 0700) in ${dir}`,
        ),
  );
  return results;
}

function publicUrlCheck(inputs: DoctorInputs): CheckResult {
  const invalid = inputs.invalid.TIDE_PUBLIC_URL;
  if (invalid !== undefined)
    return bad(
      'public URL',
      'fail',
      `TIDE_PUBLIC_URL is invalid: ${invalid}`,
      'set it to the https:// URL people reach Tide at',
    );
  const url = inputs.settings.publicUrl;
  if (url === undefined)
    return bad(
      'public URL',
      severity(inputs.production),
      'TIDE_PUBLIC_URL is not set',
      'set TIDE_PUBLIC_URL to the https:// URL people reach Tide at (the proxy terminating TLS)',
    );
  if (!url.startsWith('https://'))
    return bad(
      'public URL',
      severity(inputs.production),
      `${url} is not https: passwords and tokens cross the network in clear, and no Strict-Transport-Security is sent`,
      'terminate TLS in front of Tide and set TIDE_PUBLIC_URL to its https:// URL',
    );
  return ok('public URL', `${url} (https; responses carry Strict-Transport-Security)`);
}

function corsCheck(inputs: DoctorInputs): CheckResult {
  const invalid = inputs.invalid.TIDE_CORS_ORIGINS;
  if (invalid !== undefined)
    return bad(
      'CORS',
      'fail',
      `TIDE_CORS_ORIGINS is invalid (a wildcard cannot be allowed with credentials): ${invalid}`,
      'list exact origins, comma-separated (https://app.example.com), or leave it unset for same-origin only',
    );
  const origins = inputs.settings.corsOrigins;
  if (origins.length === 0) return ok('CORS', 'same origin only (TIDE_CORS_ORIGINS unset)');
  const plain = origins.filter((origin) => origin.startsWith('http://') && !isLoopbackOrigin(origin));
  if (plain.length > 0)
    return bad(
      'CORS',
      severity(inputs.production),
      `credentials allowed for non-https origins: ${plain.join(', ')}`,
      'allow only https:// origins in TIDE_CORS_ORIGINS',
    );
  return ok('CORS', `credentials allowed for ${origins.join(', ')}`);
}

function trustProxyCheck(inputs: DoctorInputs): CheckResult {
  const check = 'proxy trust';
  const invalid = inputs.invalid.TIDE_TRUST_PROXY;
  if (invalid !== undefined)
    return bad(
      check,
      'fail',
      `TIDE_TRUST_PROXY is invalid: ${invalid}`,
      'name the proxies by address or CIDR range, or give their number',
    );
  const { trustProxy, publicUrl, host } = inputs.settings;
  if (Array.isArray(trustProxy)) {
    const everyone = trustProxy.filter((entry) => /\/0$/.test(entry));
    if (everyone.length > 0)
      return bad(
        check,
        'fail',
        `TIDE_TRUST_PROXY trusts every address (${everyone.join(', ')}): any client can choose the address lockouts and rate limits key on`,
        'name only your proxies’ addresses or ranges',
      );
    return ok(check, `X-Forwarded-For believed from ${trustProxy.join(', ')}`);
  }
  if (typeof trustProxy === 'number') {
    if (isLoopbackHost(host))
      return ok(check, `${trustProxy} proxy hop(s) trusted; Tide listens on ${host} only`);
    return bad(
      check,
      'warn',
      `${trustProxy} proxy hop(s) trusted while Tide listens on ${host}: a client that reaches Tide directly can forge X-Forwarded-For`,
      'name the proxies in TIDE_TRUST_PROXY by address, or bind Tide (TIDE_HOST) where only the proxy reaches it',
    );
  }
  const proxied = publicUrl !== undefined && !sameHostAsListener(publicUrl, host);
  if (proxied)
    return bad(
      check,
      'warn',
      `TIDE_PUBLIC_URL (${publicUrl}) suggests a proxy in front of Tide, but TIDE_TRUST_PROXY is unset: every client shares the proxy's address for lockouts and rate limits`,
      'set TIDE_TRUST_PROXY to the proxy’s address (or the number of proxies); ignore this if clients reach Tide directly',
    );
  return ok(check, 'no proxy trusted; X-Forwarded-For is ignored');
}

function authSettingChecks(inputs: DoctorInputs): CheckResult[] {
  const s = inputs.settings;
  const level = severity(inputs.production);
  const b = SETTING_BOUNDS;
  return [
    s.lockoutThreshold > b.lockoutThresholdMax
      ? bad(
          'login lockout',
          level,
          `TIDE_LOGIN_LOCKOUT_THRESHOLD is ${s.lockoutThreshold}: password guessing gets that many tries per window`,
          `set it to ${b.lockoutThresholdMax} or less (default 5)`,
        )
      : s.lockoutDurationMs < b.lockoutDurationMinMs
        ? bad(
            'login lockout',
            level,
            `TIDE_LOGIN_LOCKOUT_DURATION is ${formatDuration(s.lockoutDurationMs)}: a lockout barely slows guessing`,
            `set it to ${formatDuration(b.lockoutDurationMinMs)} or more (default 15m)`,
          )
        : ok(
            'login lockout',
            `${s.lockoutThreshold} failures lock for ${formatDuration(s.lockoutDurationMs)}`,
          ),
    s.accessTokenTtlMs > b.accessTokenTtlMaxMs
      ? bad(
          'token lifetimes',
          level,
          `TIDE_ACCESS_TOKEN_TTL is ${formatDuration(s.accessTokenTtlMs)}: a leaked access token cannot be revoked before it expires`,
          `set it to ${formatDuration(b.accessTokenTtlMaxMs)} or less (default 15m)`,
        )
      : s.refreshTokenTtlMs > b.refreshTokenTtlMaxMs
        ? bad(
            'token lifetimes',
            level,
            `TIDE_REFRESH_TOKEN_TTL is ${formatDuration(s.refreshTokenTtlMs)}: unused sessions stay open that long`,
            `set it to ${formatDuration(b.refreshTokenTtlMaxMs)} or less (default 7d)`,
          )
        : ok(
            'token lifetimes',
            `access ${formatDuration(s.accessTokenTtlMs)}, refresh ${formatDuration(s.refreshTokenTtlMs)}`,
          ),
  ];
}

async function backupCheck(inputs: DoctorInputs): Promise<CheckResult> {
  const { backupSchedule, backupDir, dataDir } = inputs.settings;
  // TIDE_BACKUP_DIR has a default; the schedule is what turns scheduled backups on. Backups taken by
  // `tide backup create` from cron count as well: what matters is that a recent one exists.
  const configured =
    backupSchedule === undefined
      ? 'TIDE_BACKUP_SCHEDULE not set'
      : `schedule ${backupSchedule} into ${backupDir ?? path.join(dataDir, 'backups')}`;
  if (inputs.lastSuccessfulBackup === undefined)
    return backupSchedule === undefined
      ? bad('backups', severity(inputs.production), `not configured: ${configured}`, BACKUP_SETUP)
      : bad(
          'backups',
          'warn',
          `${configured}; this build cannot tell when the last one succeeded`,
          'check the tide_backup_last_success_timestamp_seconds metric',
        );
  let last: Date | null;
  try {
    last = await inputs.lastSuccessfulBackup();
  } catch (error) {
    if (backupSchedule === undefined)
      return bad(
        'backups',
        severity(inputs.production),
        `not configured: ${configured}, and no backup found (${messageOf(error)})`,
        BACKUP_SETUP,
      );
    return bad(
      'backups',
      'fail',
      `${configured}; cannot read the last backup: ${messageOf(error)}`,
      'check the database (tide db migrate) and the server log',
    );
  }
  if (last === null)
    return backupSchedule === undefined
      ? bad(
          'backups',
          severity(inputs.production),
          `not configured: ${configured}, and no backup taken`,
          BACKUP_SETUP,
        )
      : bad(
          'backups',
          'fail',
          `${configured}; no backup has succeeded yet`,
          'run `tide backup create` and check the server log for backup errors',
        );
  const age = inputs.clock.now().getTime() - last.getTime();
  const ageText = `last backup ${formatDuration(Math.max(0, Math.round(age / 60_000) * 60_000))} ago`;
  if (age > BACKUP_MAX_AGE_MS)
    return bad(
      'backups',
      'fail',
      `${configured}; ${ageText} (older than ${formatDuration(BACKUP_MAX_AGE_MS)})`,
      'check the server log for backup errors; run `tide backup create`',
    );
  return ok('backups', `${configured}; ${ageText}`);
}

const BACKUP_SETUP =
  'set TIDE_BACKUP_SCHEDULE (and TIDE_BACKUP_DIR; docs/backup.md), or run `tide backup create` from cron';

async function serverChecks(serverUrl: string): Promise<CheckResult[]> {
  const answer = await serverReadiness(serverUrl);
  if (!answer.ok)
    return [bad('server', 'fail', answer.error, 'check --url, and that tide serve is running and reachable')];
  const { readiness } = answer;
  return [
    readiness.ok
      ? ok('server', `${serverUrl} is ready`)
      : bad('server', 'fail', `${serverUrl} is not ready`, 'see the failing checks below and the server log'),
    ...Object.entries(readiness.checks).map(([name, check]) =>
      check.ok
        ? ok(`server ${name}`, check.detail ?? 'ok')
        : bad(`server ${name}`, 'fail', check.detail ?? 'failing', 'see the server log'),
    ),
  ];
}

/** How to make a value for this secret: encryption keys are exactly 32 bytes, HMAC keys at least. */
function generate(name: string): string {
  return name.startsWith('TIDE_ENCRYPTION_KEY') ? 'openssl rand -base64 32' : 'openssl rand -base64 48';
}

function octal(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function isLoopbackOrigin(origin: string): boolean {
  const host = new URL(origin).hostname;
  return isLoopbackHost(host) || host === '[::1]';
}

/** The public URL names this very listener (no proxy): same loopback host, or the bound host itself. */
function sameHostAsListener(publicUrl: string, host: string): boolean {
  const publicHost = new URL(publicUrl).hostname;
  return publicHost === host || (isLoopbackOrigin(publicUrl) && (isLoopbackHost(host) || host === '0.0.0.0'));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The time of the newest successful backup (`backups` table, src/backup/), read from the configured
 * database without creating it: a missing SQLite file is an error, not a new empty database.
 */
export function lastBackupIn(
  settings: Pick<DoctorSettings, 'dataDir' | 'databaseUrl'>,
): () => Promise<Date | null> {
  return async () => {
    const file = path.join(settings.dataDir, SQLITE_FILE);
    if (settings.databaseUrl === undefined && !existsSync(file))
      throw new Error(`no SQLite database at ${file}`);
    const store = await openDatabase({
      url: settings.databaseUrl,
      dataDir: settings.dataDir,
      connectTimeoutMs: 10_000,
    });
    try {
      return await lastSuccessfulBackup(store.db);
    } finally {
      await store.close();
    }
  };
}
