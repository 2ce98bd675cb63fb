/**
 * Every environment variable Tide reads, declared once. Validation, defaults, `.env.sample` and the table
 * in docs/configuration.md come from this list (a test checks the last two are in step).
 */
import { z } from 'zod';
import { applyProvisionerFallbacks } from './provisioner-fallbacks.ts';
import { isAcceptableIssuer } from '../auth/oidc/oidc-settings.ts';
import { parseTrustProxy } from '../auth/trust-proxy.ts';
import { parseRoleMap } from '../auth/oidc/role-map.ts';
import { passthroughProblems } from '../engine/run-environment.ts';
import { isValidTimeZone } from '../schedule/zoned-time.ts';
import { parseEncryptionKey } from '../secrets/encryption-key.ts';
import { formatDuration, parseDuration } from '../time/duration.ts';

/** `a, b,,c` → `['a', 'b', 'c']`: lists in environment variables are comma-separated. */
function commaList(text: string): string[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

export interface EnvVariable {
  readonly name: string;
  readonly description: string;
  /** Shown in .env.sample; also the default when the schema has one. */
  readonly example: string;
  readonly schema: z.ZodType;
  /**
   * A secret: with TIDE_ENV=production, Tide refuses to start when it is missing, shorter than
   * `minBytes` or of low variety (src/env/production-checks.ts).
   */
  readonly secret?: boolean;
  /** Minimum length in bytes of a secret (UTF-8 of the text, or the decoded key). */
  readonly minBytes?: number;
  /** A secret of an optional feature: production checks it only when set (unset = the feature is off). */
  readonly optional?: boolean;
}

const timeZone = z.string().refine(isValidTimeZone, { error: 'unknown IANA time zone' });
const port = z.coerce.number().int().min(1).max(65_535);

const keyFormat = 'expected 32 bytes as base64 or as 64 hex characters (e.g. `openssl rand -base64 32`)';
/** An HMAC-SHA256 key (access tokens, the audit log): at least its 32-byte output. */
const hmacKey = z
  .string()
  .min(32, { error: 'at least 32 characters (e.g. `openssl rand -base64 48`)' })
  .optional();
/** An encryption key, decoded: what production-checks measures and what the cipher uses. */
const encryptionKey = z.string().transform((text, ctx) => {
  const key = parseEncryptionKey(text);
  if (!key) ctx.addIssue({ code: 'custom', message: keyFormat });
  return key ?? z.NEVER;
});

/** `https://app.example.com`: scheme, host and port only, exactly as a browser sends it in `Origin`. */
function isExactOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}

/** A duration such as `15m` or `7d` (src/time/duration.ts), as milliseconds, within bounds. */
function durationMs(fallback: string, minMs: number, maxMs: number) {
  return z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const parsed = parseDuration(text);
      if (parsed.ok && parsed.ms >= minMs && parsed.ms <= maxMs) return parsed.ms;
      const range = `between ${formatDuration(minMs)} and ${formatDuration(maxMs)}`;
      ctx.addIssue({
        code: 'custom',
        message: parsed.ok ? `expected a duration ${range}` : `${parsed.error}; expected a duration ${range}`,
      });
      return z.NEVER;
    });
}

/** A retention period in whole days; 0 keeps everything of that kind (docs/retention.md). */
function retentionDays(fallback: number) {
  return z.coerce
    .number({ error: 'expected a whole number of days (0 keeps everything)' })
    .int({ error: 'expected a whole number of days (0 keeps everything)' })
    .min(0, { error: 'expected 0 (keep everything) or more days' })
    .max(36_500, { error: 'expected at most 36500 days' })
    .default(fallback);
}

export const envVariables = [
  {
    name: 'TIDE_CONFIG_DIR',
    description: 'Configuration directory (workspaces/, jobs/, templates/, calendars/).',
    example: './config',
    schema: z.string().min(1).default('./config'),
  },
  {
    name: 'TIDE_DATA_DIR',
    description:
      'Directory for the SQLite database, generated keys and run working directories (engine state lives in the database).',
    example: './data',
    schema: z.string().min(1).default('./data'),
  },
  {
    name: 'TIDE_DATABASE_URL',
    description:
      'Unset: SQLite file in the data directory. `postgres://user:pass@host:5432/db`: PostgreSQL (needed for HA).',
    example: '',
    schema: z
      .string()
      .optional()
      .refine((url) => url === undefined || url === '' || /^postgres(ql)?:\/\//.test(url), {
        error: 'expected a postgres:// or postgresql:// URL, or nothing for SQLite',
      }),
  },
  {
    name: 'TIDE_HOST',
    description:
      'Interface the HTTP server binds to: all interfaces by default (every route but health, metrics and login needs a token); `127.0.0.1` keeps it local.',
    example: '0.0.0.0',
    schema: z.string().min(1).default('0.0.0.0'),
  },
  { name: 'TIDE_PORT', description: 'HTTP port.', example: '8080', schema: port.default(8080) },
  {
    name: 'TIDE_URL',
    description:
      'Where the CLI reaches the Tide API (`tide workspace …`, `tide run …`); `--url` overrides it.',
    example: 'http://127.0.0.1:8080',
    schema: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .default('http://127.0.0.1:8080'),
  },
  {
    name: 'TIDE_TIMEZONE',
    description: 'Time zone for workspaces that do not set `timezone`.',
    example: 'UTC',
    schema: timeZone.default('UTC'),
  },
  {
    name: 'TIDE_TOFU_BIN',
    description: 'The engine binary. Unset: `tofu` on PATH, else `terraform` on PATH (same CLI).',
    example: '',
    schema: z.string().optional(),
  },
  {
    name: 'TIDE_RUN_ENV_PASSTHROUGH',
    description:
      "Comma-separated variables of the server's environment that runs may see, besides PATH, HOME, locale, TZ, TMPDIR and proxies: names or prefixes ending in `*` (`AWS_*,TF_CLI_CONFIG_FILE`). TIDE_* variables never pass (docs/security.md).",
    example: '',
    schema: z
      .string()
      .transform((text, ctx) => {
        const entries = commaList(text);
        const problems = passthroughProblems(entries);
        for (const message of problems) ctx.addIssue({ code: 'custom', message });
        return problems.length === 0 ? entries : z.NEVER;
      })
      .default([]),
  },
  {
    name: 'TIDE_MAX_CONCURRENT_RUNS',
    description:
      'How many runs this replica executes at once; the rest wait in the queue (manual runs first).',
    example: '4',
    schema: z.coerce.number().int().min(1).max(256).default(4),
  },
  {
    name: 'TIDE_SHUTDOWN_GRACE_PERIOD',
    description:
      'On SIGTERM, how long running runs may finish before they are interrupted (SIGINT, then SIGKILL).',
    example: '30s',
    schema: durationMs('30s', 0, 24 * 3_600_000),
  },
  {
    name: 'TIDE_RUN_LEASE_DURATION',
    description:
      'How long a runner holds a run without renewing (renewed every third of it); a run whose runner died is marked failed (`orphaned`) after this.',
    example: '30s',
    schema: durationMs('30s', 1000, 3_600_000),
  },
  {
    name: 'TIDE_STATE_URL',
    description:
      "Where a runner's engine reaches Tide's state backend (the API's base URL). Default: the replica's own API listener; required on a replica without the `api` role.",
    example: 'http://tide-api.internal:8080',
    schema: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  },
  {
    name: 'TIDE_STATE_VERSIONS_KEEP',
    description:
      "How many state versions Tide keeps per workspace (oldest deleted first when a new one is written, and by the hourly retention pass, which never deletes the current serial or a locked key's); 0 keeps every version.",
    example: '100',
    schema: z.coerce.number().int().min(0).max(1_000_000).default(0),
  },
  {
    name: 'TIDE_BACKUP_SCHEDULE',
    description:
      'Cron expression (in TIDE_TIMEZONE) of the backups `tide serve` takes itself, once per cluster (docs/backup.md). Unset: no scheduled backups (take them with `tide backup create`).',
    example: '0 3 * * *',
    schema: z.string().trim().min(1).optional(),
  },
  {
    name: 'TIDE_BACKUP_DIR',
    description:
      'Directory scheduled backups are written to (created 0700 if missing). With several replicas, storage they all reach, so pruning finds every archive. Default `<data>/backups`.',
    example: '',
    schema: z.string().min(1).optional(),
  },
  {
    name: 'TIDE_BACKUP_RETAIN',
    description: 'How many scheduled backups to keep; older ones are deleted after each new one.',
    example: '14',
    schema: z.coerce.number().int().min(1).max(10_000).default(7),
  },
  {
    name: 'TIDE_LOG_LEVEL',
    description: 'Log level: fatal, error, warn, info, debug or trace.',
    example: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  },
  {
    name: 'TIDE_ENV',
    description:
      '`development` or `production`. In production Tide refuses to start with a missing or weak secret (naming each) and never generates keys.',
    example: 'development',
    schema: z.enum(['development', 'production']).default('development'),
  },
  {
    name: 'TIDE_PUBLIC_URL',
    description:
      "The URL people and browsers reach Tide at (behind a proxy, the proxy's). When it is https, responses carry Strict-Transport-Security.",
    example: '',
    schema: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  },
  {
    name: 'TIDE_NOTIFY_ALLOW_PRIVATE',
    description:
      'Let notifications (webhook, Slack, Teams, SMTP) reach loopback, private, link-local and metadata addresses, refused by default against SSRF (docs/notifications.md). `true` only when a receiver lives on the private network.',
    example: 'false',
    schema: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
  },
  {
    name: 'TIDE_ENCRYPTION_KEY',
    description:
      'Key that encrypts sensitive variables at rest (AES-256-GCM): 32 bytes as base64 or 64 hex characters. Unset outside production: generated once in `<data>/encryption-key`.',
    example: '',
    schema: encryptionKey.optional(),
    secret: true,
    minBytes: 32,
  },
  {
    name: 'TIDE_ENCRYPTION_KEY_PREVIOUS',
    description:
      'Comma-separated former encryption keys during a rotation: values under them stay readable and are re-encrypted with TIDE_ENCRYPTION_KEY at start.',
    example: '',
    schema: z.string().transform(commaList).pipe(z.array(encryptionKey)).default([]),
  },
  {
    name: 'TIDE_CORS_ORIGINS',
    description:
      'Comma-separated exact origins (`https://app.example.com`) whose browser pages may call the API with credentials. Default: none (same origin only).',
    example: '',
    schema: z
      .string()
      .transform(commaList)
      .pipe(
        z.array(
          z.string().refine(isExactOrigin, {
            error: (issue) =>
              `"${String(issue.input)}" is not an exact origin: scheme://host[:port], no path or trailing slash`,
          }),
        ),
      )
      .default([]),
  },
  {
    name: 'TIDE_TRUST_PROXY',
    description:
      'Behind a reverse proxy: the proxies whose `X-Forwarded-For` names the client, as comma-separated addresses or CIDR ranges (`10.0.0.0/8,192.168.1.10`), or the number of proxies in front of Tide (`1`). Per-address login lockout and rate limits key on that client. Unset: no proxy is trusted and the header is ignored (docs/security.md).',
    example: '',
    schema: z
      .string()
      .optional()
      .transform((text, ctx) => {
        const parsed = parseTrustProxy(text);
        if (parsed.ok) return parsed.value;
        for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }),
  },
  {
    name: 'TIDE_JWT_SECRET',
    description:
      'Key that signs access tokens (HS256), at least 32 bytes, the same on every replica. Unset outside production: generated once in `<data>/jwt-secret`. Changing it ends current access tokens (clients refresh; browsers log in again; docs/security.md).',
    example: '',
    schema: hmacKey,
    secret: true,
    minBytes: 32,
  },
  {
    name: 'TIDE_AUDIT_KEY',
    description:
      'Key that signs the audit log (HMAC-SHA256), at least 32 bytes, the same on every replica; `tide audit verify` needs it. Keep it off the database host. Unset outside production: generated once in `<data>/audit-key`. Changing it makes earlier signatures fail verification (docs/security.md).',
    example: '',
    schema: hmacKey,
    secret: true,
    minBytes: 32,
  },
  {
    name: 'TIDE_ACCESS_TOKEN_TTL',
    description: 'How long an access token (JWT) is valid; clients refresh it with their refresh token.',
    example: '15m',
    schema: durationMs('15m', 10_000, 86_400_000),
  },
  {
    name: 'TIDE_REFRESH_TOKEN_TTL',
    description:
      'How long a refresh token is valid; each use returns a new one, so a session ends after this long unused.',
    example: '7d',
    schema: durationMs('7d', 60_000, 365 * 86_400_000),
  },
  {
    name: 'TIDE_TTL_MAX',
    description:
      'The longest TTL a manual deploy may ask for (`tide deploy --ttl`, `{"ttl": …}`; docs/ttl.md); a longer one is refused.',
    example: '7d',
    schema: durationMs('7d', 60_000, 365 * 86_400_000),
  },
  {
    name: 'TIDE_REMINDER_LEADS',
    description:
      "How long before a TTL's or a schedule's destroy reminders go out (comma-separated durations); a workspace's `notifications[].remind_before` replaces them.",
    example: '2h,15m',
    schema: z
      .string()
      .default('2h,15m')
      .transform((text, ctx) => {
        const leads: number[] = [];
        for (const part of commaList(text)) {
          const parsed = parseDuration(part);
          if (parsed.ok && parsed.ms > 0) leads.push(parsed.ms);
          else ctx.addIssue({ code: 'custom', message: `"${part}" is not a positive duration` });
        }
        return leads;
      }),
  },
  {
    name: 'TIDE_LOGIN_LOCKOUT_THRESHOLD',
    description:
      'Failed logins that lock an account (a source address locks after 4 times as many), until the lockout duration passes or an admin unlocks it.',
    example: '5',
    schema: z.coerce.number().int().min(1).max(1000).default(5),
  },
  {
    name: 'TIDE_LOGIN_LOCKOUT_DURATION',
    description: 'How long failures are counted and how long a lockout lasts.',
    example: '15m',
    schema: durationMs('15m', 1000, 86_400_000),
  },
  {
    name: 'TIDE_OIDC_ISSUER',
    description:
      'Single sign-on: the OpenID Connect issuer URL (discovery at `<issuer>/.well-known/openid-configuration`); https, or http on localhost. OIDC is on when the issuer, client id and client secret are all set (docs/security.md).',
    example: '',
    schema: z
      .string()
      .refine(isAcceptableIssuer, { error: 'expected an https:// issuer URL (http:// only on localhost)' })
      .optional(),
  },
  {
    name: 'TIDE_OIDC_CLIENT_ID',
    description: 'Single sign-on: the client id Tide is registered under at the identity provider.',
    example: '',
    schema: z.string().min(1).optional(),
  },
  {
    name: 'TIDE_OIDC_CLIENT_SECRET',
    description:
      'Single sign-on: the client secret issued by the identity provider (sent only to its token endpoint). With TIDE_ENV=production it is checked like the other secrets when set (at least 16 bytes).',
    example: '',
    schema: z.string().min(1).optional(),
    secret: true,
    optional: true,
    minBytes: 16,
  },
  {
    name: 'TIDE_OIDC_SCOPES',
    description: 'Single sign-on: space-separated scopes to request; `openid` is required.',
    example: 'openid profile email',
    schema: z
      .string()
      .default('openid profile email')
      .transform((text) => text.split(/\s+/).filter((scope) => scope !== ''))
      .refine((scopes) => scopes.includes('openid'), { error: 'must include the openid scope' }),
  },
  {
    name: 'TIDE_OIDC_ROLE_CLAIM',
    description:
      'Single sign-on: the claim whose values TIDE_OIDC_ROLE_MAP matches (a dotted path reaches nested claims, e.g. `realm_access.roles`).',
    example: 'groups',
    schema: z.string().min(1).default('groups'),
  },
  {
    name: 'TIDE_OIDC_ROLE_MAP',
    description:
      'Single sign-on, required with it: `<claim value>=<role>` entries, comma-separated (`tide-admins=admin,tide-ops=operator,*=viewer`). The highest matching role wins; no match and no `*` refuses the login.',
    example: '',
    schema: z
      .string()
      .transform((text, ctx) => {
        const parsed = parseRoleMap(text);
        if (parsed.ok) return parsed.map;
        for (const message of parsed.errors) ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      })
      .optional(),
  },
  {
    name: 'TIDE_OIDC_USERNAME_CLAIM',
    description:
      'Single sign-on: the claim that names the Tide user at first login (lower-cased); then `email`, then `sub`.',
    example: 'preferred_username',
    schema: z.string().min(1).default('preferred_username'),
  },
  {
    name: 'TIDE_RETENTION_RUNS_DAYS',
    description:
      'Retention (docs/retention.md): finished runs older than this many days are deleted with their logs, except those Tide still reads (the latest per workspace, action and job, the latest succeeded, runs an active run waits on…). 0 keeps every run.',
    example: '90',
    schema: retentionDays(90),
  },
  {
    name: 'TIDE_RETENTION_RUN_LOGS_DAYS',
    description:
      'Retention: the logs of finished runs older than this many days are deleted; the runs stay (same exceptions as TIDE_RETENTION_RUNS_DAYS). 0 keeps logs as long as their runs.',
    example: '30',
    schema: retentionDays(30),
  },
  {
    name: 'TIDE_RETENTION_FIRINGS_DAYS',
    description:
      "Retention: schedule firings recorded more than this many days ago are deleted, except each schedule's latest and those a remaining run points at; overrides that ended that long ago go too. 0 keeps every firing.",
    example: '90',
    schema: retentionDays(90),
  },
  {
    name: 'TIDE_RETENTION_SESSIONS_DAYS',
    description:
      'Retention: login sessions (refresh-token families) revoked or expired more than this many days ago are deleted. 0 keeps them.',
    example: '30',
    schema: retentionDays(30),
  },
  {
    name: 'TIDE_OVERRIDE_MAX',
    description:
      'The longest an override (keep_up_until, keep_down_until, skip_next, pause_until; docs/overrides.md) may last: its end is at most this far from when it is added. A skip_next added without an end lasts this long.',
    example: '30d',
    schema: durationMs('30d', 60_000, 366 * 86_400_000),
  },
  {
    name: 'TIDE_TOKEN',
    description:
      'CLI only: an API token (or access token) sent as `Authorization: Bearer`; wins over the credentials saved by `tide login`. For scripts and CI.',
    example: '',
    schema: z.string().min(1).optional(),
  },
] as const satisfies readonly EnvVariable[];

type Variables = typeof envVariables;
export type TideEnv = { [V in Variables[number] as V['name']]: z.output<V['schema']> };

/**
 * Reads and validates the environment; every problem is reported at once, naming the variable. The
 * Provisioner's PROVISIONER_CONFIG_DIR / PROVISIONER_STATE_DIR stand in for unset TIDE_CONFIG_DIR /
 * TIDE_DATA_DIR (src/env/provisioner-fallbacks.ts; the CLI prints the deprecation notice).
 */
export function parseEnv(
  source: Record<string, string | undefined>,
): { ok: true; env: TideEnv } | { ok: false; errors: string[] } {
  const env: Record<string, unknown> = {};
  const errors: string[] = [];
  const withFallbacks = applyProvisionerFallbacks(source).env;
  for (const variable of envVariables) {
    const raw = withFallbacks[variable.name];
    const result = (variable.schema as z.ZodType).safeParse(raw === '' ? undefined : raw);
    if (result.success) env[variable.name] = result.data;
    else errors.push(`${variable.name}: ${result.error.issues.map((issue) => issue.message).join('; ')}`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, env: Object.freeze(env) as TideEnv };
}

/** The text of `.env.sample`. */
export function renderEnvSample(): string {
  const blocks = envVariables.map(
    (variable) =>
      `# ${variable.description}\n${variable.example === '' ? '# ' : ''}${variable.name}=${variable.example}`,
  );
  return `# Tide environment variables (generated from src/env/env.schema.ts by \`npm run generate\`).\n\n${blocks.join('\n\n')}\n`;
}
