import { z } from 'zod';
import { durationSchema, nameSchema, timeZoneSchema, variablesSchema } from './common.schema.ts';
import { workspaceJobSchema } from './job-config.schema.ts';
import { cronScheduleSchema } from './schedule-field.schema.ts';
import { uptimeWindowSchema } from './uptime.schema.ts';
import { variableNamePattern } from './names.ts';
import { notificationSchema } from './notifications.schema.ts';

/** Each custom command replaces one engine step; run by `/bin/sh -c` in the run's working directory. */
function customCommands<K extends string>(keys: readonly K[], label: string) {
  const shape = Object.fromEntries(
    keys.map((key) => [
      key,
      z
        .string()
        .optional()
        .describe(`Replaces the ${key.replace('_command', '')} step.`),
    ]),
  ) as Record<K, z.ZodOptional<z.ZodString>>;
  return z.strictObject(shape).superRefine((parsed, ctx) => {
    const value = parsed as Record<string, string | undefined>;
    const given = keys.filter((key) => value[key] !== undefined);
    // Messages kept from the Provisioner so its users recognise them.
    if (given.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `at least one custom command must be specified (${label})`,
      });
    }
    for (const key of given) {
      if (value[key]!.trim() === '') {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} cannot be empty or whitespace-only` });
      }
    }
  });
}

export const policySchema = z
  .strictObject({
    catch_up: z
      .enum(['latest', 'none'])
      .optional()
      .describe(
        'After downtime: `latest` (default) runs the most recent missed firing if within `starting_deadline`; `none` records all as missed.',
      ),
    starting_deadline: durationSchema
      .optional()
      .describe('How late a firing may still start (default `1h`); later ones are recorded as `missed`.'),
    concurrency: z
      .enum(['queue', 'skip', 'replace'])
      .optional()
      .describe(
        'A firing while a run is active: `queue` (default) runs it after, `skip` records it skipped, `replace` cancels the active run.',
      ),
    jitter: durationSchema
      .optional()
      .describe('Random delay up to this long added to scheduled runs, to spread bursts (default `0s`).'),
    retries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .optional()
      .describe('Retries after a transient failure (default `2`, so 3 attempts in all).'),
    backoff: z
      .strictObject({
        base: durationSchema.optional().describe('First retry delay (default `30s`), doubled each attempt.'),
        max: durationSchema.optional().describe('Longest retry delay (default `10m`).'),
      })
      .optional()
      .describe('Exponential backoff between retries, with jitter.'),
    retry_on: z
      .array(z.string())
      .optional()
      .describe(
        'Regular expressions matched against the log of a failed run to call it transient (default: network, rate-limit and state-lock errors).',
      ),
    timeout: durationSchema.optional().describe('Maximum run time before the run is stopped (default `1h`).'),
  })
  .superRefine((policy, ctx) => {
    policy.retry_on?.forEach((pattern, index) => {
      try {
        new RegExp(pattern);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          path: ['retry_on', index],
          message: `invalid regular expression: ${(error as Error).message}`,
        });
      }
    });
  });

export const preDestroyCheckSchema = z
  .strictObject({
    command: z
      .string()
      .trim()
      .min(1)
      .optional()
      .describe(
        'Passes when it exits 0: split on whitespace, run without a shell, in the allowlisted run environment.',
      ),
    http: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Passes on a 2xx answer to a GET (redirects are not followed).'),
    timeout: durationSchema.optional().describe('How long the check may take (default `30s`); longer fails.'),
  })
  .superRefine((check, ctx) => {
    if ((check.command === undefined) === (check.http === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'a pre_destroy_check needs exactly one of "command" and "http"',
      });
  });

export const workspaceConfigSchema = z.strictObject({
  // --- Provisioner fields (loaded unchanged) ---
  name: z
    .string()
    .optional()
    .describe(
      'Ignored, as by the Provisioner: the folder name is the workspace name (a different value is a warning).',
    ),
  enabled: z
    .boolean()
    .optional()
    .describe('Whether Tide schedules the workspace (default `false`, as in the Provisioner).'),
  description: z.string().optional().describe('Free text shown in listings.'),
  template: nameSchema
    .optional()
    .describe("Template whose code the workspace uses; the workspace's own files are laid over it."),
  deploy_schedule: cronScheduleSchema
    .optional()
    .describe('When to deploy: a cron expression, a list (any fires), or `false` (never).'),
  destroy_schedule: cronScheduleSchema
    .optional()
    .describe('When to destroy: a cron expression, a list, or `false` (never: a permanent deployment).'),
  mode_schedules: z
    .record(nameSchema, cronScheduleSchema)
    .optional()
    .describe(
      'Mode name → when to deploy in that mode; the latest firing wins. Not combined with `deploy_schedule`.',
    ),
  jobs: z.array(workspaceJobSchema).optional().describe('Jobs run in the workspace context.'),
  custom_deploy: customCommands(
    ['init_command', 'plan_command', 'apply_command'] as const,
    'init_command, plan_command, or apply_command',
  )
    .optional()
    .describe('Commands that replace deploy steps.'),
  custom_destroy: customCommands(
    ['init_command', 'destroy_command'] as const,
    'init_command or destroy_command',
  )
    .optional()
    .describe('Commands that replace destroy steps.'),
  // --- Tide additions ---
  timezone: timeZoneSchema
    .optional()
    .describe('Time zone of schedules and windows (default `TIDE_TIMEZONE`, else `UTC`).'),
  uptime: z
    .array(uptimeWindowSchema)
    .min(1)
    .optional()
    .describe(
      'Windows in which the workspace should be up; reconciled continuously. Not combined with deploy/destroy schedules.',
    ),
  enforce: z
    .boolean()
    .optional()
    .describe(
      'With `uptime`: `true` takes a manual deploy outside the windows down at the next reconcile (default `false`).',
    ),
  calendar: z
    .union([nameSchema, z.array(nameSchema)])
    .optional()
    .describe('Holiday calendar(s): windows are closed and deploy firings skipped on their dates.'),
  modes: z
    .record(nameSchema, z.strictObject({ variables: variablesSchema.optional() }))
    .optional()
    .describe('Mode name → variables applied on top of `variables` when deploying in that mode.'),
  variables: variablesSchema.optional(),
  sensitive_variables: z
    .array(z.string().regex(variableNamePattern))
    .optional()
    .describe('Names of variables whose values come from the API (encrypted at rest, never logged).'),
  depends_on: z
    .array(nameSchema)
    .optional()
    .describe('Workspaces that must be deployed first (and are destroyed after this one).'),
  ttl: durationSchema.optional().describe('Destroy this long after a manual deploy.'),
  pre_destroy_check: preDestroyCheckSchema
    .optional()
    .describe(
      'Asked before a scheduled, window or TTL destroy; a failing check holds the destroy back (docs/ttl.md). Manual destroys are not held.',
    ),
  protect: z.boolean().optional().describe('Refuse every destroy, scheduled or manual (default `false`).'),
  hourly_cost: z
    .number()
    .min(0)
    .optional()
    .describe('Estimated cost per hour while deployed, for savings reports.'),
  drift_schedule: cronScheduleSchema
    .optional()
    .describe(
      'When to run a drift check (`plan -detailed-exitcode`); skipped while the workspace is not deployed or a run holds it.',
    ),
  drift: z
    .strictObject({
      remediate: z
        .boolean()
        .optional()
        .describe(
          'Deploy a drifted workspace (once per drift) in its next allowed window (default `false`; docs/drift.md).',
        ),
    })
    .optional()
    .describe('What to do when a drift check finds drift.'),
  plan_schedule: cronScheduleSchema
    .optional()
    .describe('Deprecated alias of `drift_schedule` (a warning); setting both is an error.'),
  labels: z
    .record(z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/), z.string().max(63))
    .optional()
    .describe('Key/value labels, usable in RBAC selectors and filters.'),
  policy: policySchema.optional().describe('Catch-up, concurrency, retry and timeout policy.'),
  notifications: z.array(notificationSchema).optional().describe('Who is told about what.'),
});

export type WorkspaceConfig = z.infer<typeof workspaceConfigSchema>;
