/**
 * Every environment variable Tide reads, declared once. Validation, defaults, `.env.sample` and the table
 * in docs/configuration.md come from this list (a test checks the last two are in step).
 */
import { z } from 'zod';
import { isValidTimeZone } from '../schedule/zoned-time.ts';
import { parseDuration } from '../time/duration.ts';

interface EnvVariable {
  readonly name: string;
  readonly description: string;
  /** Shown in .env.sample; also the default when the schema has one. */
  readonly example: string;
  readonly schema: z.ZodType;
}

const timeZone = z.string().refine(isValidTimeZone, { error: 'unknown IANA time zone' });
const port = z.coerce.number().int().min(1).max(65_535);

export const envVariables = [
  {
    name: 'TIDE_CONFIG_DIR',
    description: 'Configuration directory (workspaces/, jobs/, templates/, calendars/).',
    example: './config',
    schema: z.string().min(1).default('./config'),
  },
  {
    name: 'TIDE_DATA_DIR',
    description: 'Directory for the SQLite database, engine state directories and run working directories.',
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
    description: 'Interface the HTTP server binds to.',
    example: '127.0.0.1',
    schema: z.string().min(1).default('127.0.0.1'),
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
    schema: z
      .string()
      .default('30s')
      .refine((text) => parseDuration(text).ok, { error: 'expected a duration such as "30s" or "2m"' }),
  },
  {
    name: 'TIDE_RUN_LEASE_DURATION',
    description:
      'How long a runner holds a run without renewing (renewed every third of it); a run whose runner died is marked failed (`orphaned`) after this.',
    example: '30s',
    schema: z
      .string()
      .default('30s')
      .refine(
        (text) => {
          const parsed = parseDuration(text);
          return parsed.ok && parsed.ms >= 1000;
        },
        {
          error: 'expected a duration of at least 1s, such as "30s"',
        },
      ),
  },
  {
    name: 'TIDE_LOG_LEVEL',
    description: 'Log level: fatal, error, warn, info, debug or trace.',
    example: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  },
] as const satisfies readonly EnvVariable[];

type Variables = typeof envVariables;
export type TideEnv = { [V in Variables[number] as V['name']]: z.output<V['schema']> };

/** Reads and validates the environment; every problem is reported at once, naming the variable. */
export function parseEnv(
  source: Record<string, string | undefined>,
): { ok: true; env: TideEnv } | { ok: false; errors: string[] } {
  const env: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const variable of envVariables) {
    const raw = source[variable.name];
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
