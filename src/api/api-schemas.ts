/**
 * Every request shape the API accepts, declared once. Objects are strict (an unknown field or query
 * parameter is a 400, so a typo is never silently ignored); path names are checked against the name
 * pattern before anything is looked up, which keeps `../` and friends out of every lookup.
 */
import { notificationEventTypes } from '../notification/notification-event.ts';
import { z } from 'zod';
import { durationSchema, nameSchema } from '../config/common.schema.ts';
import { variableNamePattern } from '../config/names.ts';
import { issuesToProblems } from '../config/zod-problems.ts';
import { MIN_SECRET_LENGTH } from '../engine/secret-mask.ts';
import { TideError } from '../errors/tide-error.ts';
import { runStates, runTriggers } from '../run/run-state.ts';
import { MAX_PREVIEW_DAYS, previewFromProblem } from '../schedule/preview.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../store/page.ts';
import { auditResults, overrideKinds, workspaceObservedStatuses } from '../store/schema.ts';
import { parseDuration } from '../time/duration.ts';

/** 1 MiB: far above any legitimate body (`{"mode": …}`), far below what could hurt the process. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Run ids are UUIDs today; the pattern only keeps anything path- or SQL-looking out. */
const runIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, { error: (issue) => `invalid run id "${String(issue.input)}"` });

/**
 * A whole number from a query string within [min, max]. Every numeric query parameter is bounded, so no
 * request can ask for unbounded work; the message names the parameter and the bound (query.days: want a
 * whole number from 1 to 90, got "366").
 */
function boundedInt(min: number, max: number) {
  const got = (issue: { input?: unknown }) =>
    `want a whole number from ${min} to ${max}, got "${String(issue.input)}"`;
  return z.coerce
    .string()
    .regex(/^\d{1,15}$/, { error: got })
    .transform(Number)
    .refine((value) => value >= min && value <= max, { error: got })
    .meta({ type: 'integer', minimum: min, maximum: max });
}

const limit = boundedInt(1, MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE);
const cursor = z.string().min(1).max(1000).optional();
const booleanString = z.enum(['true', 'false']).transform((value) => value === 'true');

export const workspaceParams = z.strictObject({ name: nameSchema });
export const runParams = z.strictObject({ id: runIdSchema });

export const pageQuery = z.strictObject({ limit, cursor });

export const workspaceListQuery = z.strictObject({
  status: z.enum(workspaceObservedStatuses).optional(),
  enabled: booleanString.optional(),
  drifted: booleanString.optional(),
  limit,
  cursor,
});

export const runListQuery = z.strictObject({
  workspace: nameSchema.optional(),
  /** One state or a comma-separated list (`queued,running`). */
  state: z
    .string()
    .transform((value) => value.split(','))
    .pipe(
      z
        .array(z.enum(runStates))
        .min(1)
        .max(runStates.length, { error: `want at most ${runStates.length} states, one of each` }),
    )
    .optional(),
  trigger: z.enum(runTriggers).optional(),
  limit,
  cursor,
});

export const scheduleQuery = z.strictObject({
  days: boundedInt(1, MAX_PREVIEW_DAYS)
    .default(7)
    .describe(`Length of the preview in days (1 to ${MAX_PREVIEW_DAYS}, default 7).`),
  from: z.iso
    .datetime({ offset: true })
    .transform((value) => new Date(value))
    .superRefine((from, context) => {
      const problem = previewFromProblem(from);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    })
    .optional()
    .describe('Start of the preview, an ISO 8601 instant (default now).'),
});

export const logFormats = ['json', 'ndjson', 'text'] as const;
export type LogFormat = (typeof logFormats)[number];

export const logQuery = z
  .strictObject({
    follow: booleanString.default(false),
    /** Default `json` (one page); `text` when following. */
    format: z.enum(logFormats).optional(),
    limit,
    cursor,
  })
  .refine((query) => !(query.follow && query.format === 'json'), {
    error: 'follow streams text or ndjson; drop format=json',
    path: ['format'],
  });

const instantQuery = z.iso.datetime({ offset: true }).transform((value) => new Date(value));
/** Free text filters (actor, target) are bounded so a query string cannot carry a megabyte. */
const auditText = z.string().min(1).max(200);

export const auditListQuery = z.strictObject({
  actor: auditText.optional(),
  /** `<domain>.<verb>`, e.g. `workspace.deploy`, `auth.login`. */
  action: z
    .string()
    .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/, { error: 'want <domain>.<verb>, e.g. workspace.deploy' })
    .optional(),
  target: auditText.optional(),
  result: z.enum(auditResults).optional(),
  /** Entries at or after this instant. */
  since: instantQuery.optional(),
  /** Entries before this instant. */
  until: instantQuery.optional(),
  limit,
  cursor,
});

export const deployBody = z.strictObject({
  mode: nameSchema.optional(),
  /** Also redeploy the dependencies already deployed (decision 022). */
  with_dependencies: z.boolean().optional(),
  /** Destroy this long after the deploy succeeds, outside the schedules' up period (docs/ttl.md). */
  ttl: durationSchema
    .optional()
    .describe('destroy this long after the deploy succeeds (e.g. "4h"), at most TIDE_TTL_MAX; docs/ttl.md'),
});
/** Destroy the workspaces that depend on this one first; without it, a destroy with dependents up is refused. */
export const destroyBody = z.strictObject({ with_dependents: z.boolean().optional() });

const stateSerial = boundedInt(0, Number.MAX_SAFE_INTEGER);
export const stateListQuery = z.strictObject({ limit });
export const stateContentQuery = z.strictObject({ serial: stateSerial.optional() });
export const stateRollbackBody = z.strictObject({
  serial: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export const emptyBody = z.strictObject({});

/** 64 KiB: room for a private key or a certificate chain. */
export const MAX_SENSITIVE_VALUE_LENGTH = 64 * 1024;

/**
 * A sensitive variable's new value. At least MIN_SECRET_LENGTH characters, since the log masker leaves
 * shorter strings alone (masking every `abc` would wreck logs and reveal the value); no NUL, which a
 * process environment cannot hold.
 */
const sensitiveValue = z
  .string()
  .min(MIN_SECRET_LENGTH, {
    error: `a sensitive value needs at least ${MIN_SECRET_LENGTH} characters to be masked in logs`,
  })
  .max(MAX_SENSITIVE_VALUE_LENGTH)
  .refine((value) => !value.includes('\0'), { error: 'a sensitive value cannot contain a NUL character' });

export const variablesBody = z.strictObject({
  sensitive: z
    .record(
      z
        .string()
        .regex(variableNamePattern, { error: (issue) => `invalid variable name "${String(issue.input)}"` }),
      z.union([sensitiveValue, z.null()]),
    )
    .describe(
      "Variable name → new value, or null to delete it. Names must be in the workspace's sensitive_variables.",
    ),
});

export type RequestPart = 'params' | 'query' | 'body';

/**
 * Validates one part of a request. Failures are `validation_failed` (400) listing every problem with
 * its place (`query.limit`), so a client can fix them all at once. A missing body counts as `{}`.
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.output<S> {
  const result = schema.safeParse(value ?? (part === 'body' ? {} : value), { reportInput: true });
  if (result.success) return result.data;
  const problems = issuesToProblems(result.error.issues).map((problem) => ({
    path: problem.path === '' ? part : `${part}.${problem.path}`,
    message: problem.message,
  }));
  throw new TideError(
    'validation_failed',
    `invalid request ${part}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
    { details: { problems } },
  );
}

/** `POST /api/v1/templates` (src/template/): the service checks URL, ref and subdirectory further. */
export const templateParams = z.strictObject({ name: nameSchema });
export const addTemplateBody = z.strictObject({
  name: nameSchema,
  url: z.string().min(1).max(2048).describe('git URL (https, http, ssh, git, file), without a password'),
  ref: z.string().min(1).max(255).optional().describe('branch, tag, full ref or commit; default main'),
  subdir: z.string().max(1024).optional().describe('path in the repository; default its root'),
  description: z.string().max(1000).optional(),
  credential: sensitiveValue
    .optional()
    .describe('token or user:password for a private HTTP(S) repository: stored sealed, never returned'),
  credential_secret: nameSchema
    .optional()
    .describe('name the credential is stored under (default the template name), or of one stored before'),
});

/** A job's id: `<workspace>.<job>` for a workspace's job, `<job>` for a standalone one (docs/jobs.md). */
export const jobParams = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}(\.[a-z0-9][a-z0-9-]{0,62})?$/, {
    error: (issue) => `invalid job id "${String(issue.input)}": want <job> (standalone) or <workspace>.<job>`,
  }),
});

/** `/api/v1/workspaces/{name}/overrides` (src/workspace/override.service.ts, docs/overrides.md). */
export const overrideParams = z.strictObject({
  name: nameSchema,
  id: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, { error: (issue) => `invalid override id "${String(issue.input)}"` }),
});
export const overrideListQuery = z.strictObject({
  /** Also the overrides that ended (expired, removed, used up), until retention deletes them. */
  history: booleanString.optional(),
});
export const overrideBody = z.strictObject({
  kind: z.enum(overrideKinds),
  until: z.iso
    .datetime({
      offset: true,
      error: 'want an ISO 8601 instant with its offset, e.g. 2026-12-03T08:00:00+01:00',
    })
    .transform((value) => new Date(value))
    .optional()
    .describe('When it ends (give this or `for`)'),
  for: z
    .string()
    .max(32)
    .transform((text, ctx) => {
      const parsed = parseDuration(text);
      if (parsed.ok && parsed.ms > 0) return parsed.ms;
      ctx.addIssue({ code: 'custom', message: parsed.ok ? 'want a duration above 0' : parsed.error });
      return z.NEVER;
    })
    .optional()
    .describe('How long it lasts from now, e.g. "3h", "90m", "1d" (give this or `until`)'),
  action: z.enum(['deploy', 'destroy']).optional().describe('skip_next only: which action to skip'),
  reason: z.string().max(1000).optional(),
});
export const deliveryListQuery = z.strictObject({
  workspace: nameSchema.optional(),
  event: z.enum(notificationEventTypes).optional(),
  status: z.enum(['delivered', 'retry', 'failed']).optional().describe("The attempt's outcome."),
  limit,
  cursor,
});
export const notificationTestBody = z.strictObject({
  target: nameSchema.describe('A target of notifications.yaml, by name.'),
});
export const globalSecretParams = z.strictObject({ name: nameSchema });
export const globalSecretBody = z.strictObject({
  value: z.string().min(1).max(MAX_SENSITIVE_VALUE_LENGTH).describe('The value; never shown again.'),
});
