import { z } from 'zod';
import { durationSchema, environmentSchema, nameSchema, timeZoneSchema } from './common.schema.ts';
import { jobScheduleSchema } from './schedule-field.schema.ts';

const jobFields = {
  description: z.string().optional().describe('Free text shown in listings.'),
  type: z
    .enum(['script', 'command', 'template'])
    .describe('`script`: a shell script; `command`: one command; `template`: an OpenTofu sub-stack.'),
  script: z
    .string()
    .optional()
    .describe('For `script` jobs: the script. A `#!` line picks the interpreter; otherwise `/bin/bash`.'),
  command: z
    .union([z.string(), z.array(z.string()).min(1)])
    .optional()
    .describe('For `command` jobs: a string run by `/bin/sh -c`, or an argv list run without a shell.'),
  template: nameSchema.optional().describe('For `template` jobs: the template to apply as a sub-stack.'),
  schedule: jobScheduleSchema
    .optional()
    .describe(
      'Cron expression(s) and/or events: `@deployment`, `@deployment-failed`, `@destroy`, `@destroy-failed`, `@startup` (`@reboot` is an alias).',
    ),
  environment: environmentSchema.optional().describe('Extra environment variables for the job process.'),
  working_dir: z
    .string()
    .optional()
    .describe(
      "Working directory: for a job in a workspace's context relative to the copy of the deployed workspace's files (`WORKSPACE_DEPLOYMENT_DIR`, also the default), else to the job's scratch directory; or absolute.",
    ),
  timeout: durationSchema.optional().describe('Maximum run time (default `10m`).'),
  enabled: z.boolean().optional().describe('Whether the job runs (default `false`, as in the Provisioner).'),
  depends_on: z
    .array(nameSchema)
    .optional()
    .describe('Jobs (of the same workspace) that must succeed first.'),
  retries: z
    .number()
    .int()
    .min(0)
    .max(20)
    .optional()
    .describe('Retries after a failed attempt (default `0`).'),
  timezone: timeZoneSchema.optional().describe("Time zone of the cron schedule (default: the workspace's)."),
};

function requireTypeField(
  job: { type: 'script' | 'command' | 'template'; script?: unknown; command?: unknown; template?: unknown },
  ctx: z.RefinementCtx,
) {
  const field = job.type;
  const value = job[field];
  if (value === undefined || (typeof value === 'string' && value.trim() === '')) {
    ctx.addIssue({
      code: 'custom',
      path: [field],
      message: `a ${job.type} job needs a non-empty "${field}"`,
    });
  }
  for (const other of ['script', 'command', 'template'] as const) {
    if (other !== field && job[other] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [other],
        message: `"${other}" does not apply to a ${job.type} job`,
      });
    }
  }
}

/** A job inside a workspace's `jobs` array. */
export const workspaceJobSchema = z
  .strictObject({ name: nameSchema.describe('Job name, unique in the workspace.'), ...jobFields })
  .superRefine(requireTypeField);

/** A standalone job file, `<config>/jobs/<name>.json`. */
export const standaloneJobSchema = z
  .strictObject({
    name: nameSchema.optional().describe('Job name (default: the file name without `.json`).'),
    ...jobFields,
    workspace: nameSchema
      .optional()
      .describe("Run in this workspace's context (its outputs as environment variables)."),
    tags: z.array(z.string()).optional().describe('Free-form tags for listing and filtering.'),
  })
  .superRefine(requireTypeField);

export type WorkspaceJobConfig = z.infer<typeof workspaceJobSchema>;
export type StandaloneJobConfig = z.infer<typeof standaloneJobSchema>;
