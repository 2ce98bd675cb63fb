/**
 * `tide doctor [--production] [--json] [--url U]`: checks a configured (and, with `--url`, running)
 * deployment, one line per check, exit 1 on any failure (src/doctor/doctor.ts, docs/production-readiness.md).
 * Unlike other commands it does not stop at an invalid variable: it reports it as a failure and checks
 * the rest as if it were unset.
 */
import path from 'node:path';
import type { Command } from 'commander';
import {
  lastBackupIn,
  runDoctor,
  type CheckResult,
  type DoctorReport,
  type SecretFinding,
} from '../../doctor/doctor.ts';
import { TideError } from '../../errors/tide-error.ts';
import { envVariables, parseEnv, type TideEnv } from '../../env/env.schema.ts';
import { secretWeakness } from '../../env/production-checks.ts';
import { systemClock } from '../../time/clock.ts';
import { printJson, type CliContext } from '../output.ts';

interface DoctorOptions {
  production?: boolean;
  json?: boolean;
  url?: string;
  dataDir?: string;
  databaseUrl?: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

export function registerDoctor(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description(
      'Check this deployment: secrets, database and migrations, engine, data directory, URL/TLS, CORS, proxy trust, login and token settings, backups, clock (exit 1 on any failure)',
    )
    .option('--production', 'hold it to production rules (also when TIDE_ENV=production)')
    .option('--json', 'print the report as JSON')
    .option('--url <url>', "also ask a running server's /api/health/ready (and list its subsystems)")
    .option('--data-dir <dir>', 'data directory (default: TIDE_DATA_DIR)')
    .option('--database-url <url>', 'PostgreSQL URL (default: TIDE_DATABASE_URL; unset = SQLite)')
    .action(async (options: DoctorOptions) => {
      const report = await doctor(options, ctx.env, ctx.cwd);
      if (options.json) printJson(ctx.output, report);
      else for (const line of formatReport(report)) ctx.output.out(line);
      if (!report.ok) ctx.exitCode = 1;
    });
}

async function doctor(options: DoctorOptions, environment: Environment, cwd: string): Promise<DoctorReport> {
  const { env, invalid } = tolerantEnv(environment);
  const production = options.production === true || env.TIDE_ENV === 'production';
  const dataDir = path.resolve(cwd, options.dataDir ?? env.TIDE_DATA_DIR);
  const blank = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);
  const databaseUrl = options.databaseUrl ?? env.TIDE_DATABASE_URL;
  return runDoctor({
    production,
    lastSuccessfulBackup: lastBackupIn({ dataDir, databaseUrl }),
    invalid,
    secrets: secretFindings(env, invalid),
    clock: systemClock,
    ...(options.url !== undefined ? { serverUrl: options.url } : {}),
    settings: {
      dataDir,
      databaseUrl,
      tofuBin: env.TIDE_TOFU_BIN,
      searchPath: environment.PATH,
      host: env.TIDE_HOST,
      publicUrl: env.TIDE_PUBLIC_URL,
      corsOrigins: env.TIDE_CORS_ORIGINS,
      trustProxy: env.TIDE_TRUST_PROXY,
      accessTokenTtlMs: env.TIDE_ACCESS_TOKEN_TTL,
      refreshTokenTtlMs: env.TIDE_REFRESH_TOKEN_TTL,
      lockoutThreshold: env.TIDE_LOGIN_LOCKOUT_THRESHOLD,
      lockoutDurationMs: env.TIDE_LOGIN_LOCKOUT_DURATION,
      // Validated by tide serve's backup settings; here only whether they are set matters.
      backupSchedule: blank(environment.TIDE_BACKUP_SCHEDULE),
      backupDir: blank(environment.TIDE_BACKUP_DIR),
    },
  });
}

/**
 * The environment with every invalid variable read as unset (its default), and why each was invalid:
 * one mistake must not hide the other checks.
 */
export function tolerantEnv(environment: Environment): { env: TideEnv; invalid: Record<string, string> } {
  const invalid: Record<string, string> = {};
  let source: Record<string, string | undefined> = { ...environment };
  for (;;) {
    const parsed = parseEnv(source);
    if (parsed.ok) return { env: parsed.env, invalid };
    const before = Object.keys(invalid).length;
    for (const error of parsed.errors) {
      const at = error.indexOf(': ');
      const name = error.slice(0, at);
      invalid[name] = error.slice(at + 2);
      source = { ...source, [name]: undefined };
    }
    // A variable whose default itself failed would loop forever; none does, but never spin on it.
    if (Object.keys(invalid).length === before)
      throw new TideError('invalid_argument', `invalid environment: ${parsed.errors.join('; ')}`);
  }
}

function secretFindings(env: TideEnv, invalid: Readonly<Record<string, string>>): SecretFinding[] {
  const values = env as unknown as Readonly<Record<string, unknown>>;
  return envVariables.flatMap((variable): SecretFinding[] => {
    if (!('secret' in variable) || !variable.secret) return [];
    const optional = 'optional' in variable && variable.optional === true;
    const value = values[variable.name];
    if (value === undefined || value === null || value === '' || invalid[variable.name] !== undefined)
      return [{ name: variable.name, set: false, weakness: null, optional }];
    const text = typeof value === 'string' ? value : undefined;
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    const minBytes = 'minBytes' in variable ? variable.minBytes : 0;
    return [{ name: variable.name, set: true, weakness: secretWeakness(bytes, minBytes, text), optional }];
  });
}

const LABEL: Readonly<Record<CheckResult['status'], string>> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

/** `ok    database: …` / `FAIL  migrations: 2 pending … — fix: run tide db migrate`, then a summary. */
export function formatReport(report: DoctorReport): string[] {
  const lines = report.checks.map(
    (check) =>
      `${LABEL[check.status]}  ${check.check}: ${check.message}${check.fix ? ` — fix: ${check.fix}` : ''}`,
  );
  const count = (status: CheckResult['status']) => report.checks.filter((c) => c.status === status).length;
  const rules = report.production ? 'production rules' : 'development rules (--production for production)';
  const warnings = count('warn');
  lines.push(
    `${count('fail')} failed, ${warnings} warning${warnings === 1 ? '' : 's'}, ${count('ok')} ok — ${rules}`,
  );
  return lines;
}
