/**
 * An environment file (docs/environments.md): the Provisioner's `<config>/<env>.json` keys, unchanged, plus
 * Tide's optional additions (`description`, `outputs`, `action`). The same schema reads both layouts;
 * `environments/<name>.json|yaml` must name its switch `action`, a Provisioner file without one gets the
 * Provisioner's own (`doctl compute reserved-ip-action assign …`).
 */
import { z } from 'zod';
import { durationSchema, nameSchema, variablesSchema } from './common.schema.ts';

/** Placeholders a switch action's arguments may use, replaced per reserved IP. */
export const actionPlaceholders = [
  'reserved_ip',
  'resource',
  'server',
  'workspace',
  'environment',
  'domain',
] as const;

const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });

const commandSchema = z.union([nonEmpty, z.array(nonEmpty).min(1)]);

export const healthCheckSchema = z
  .strictObject({
    type: z
      .enum(['http', 'tcp', 'command'])
      .describe('`http`: a 2xx answer; `tcp`: a connection; `command`: exit status 0.'),
    path: z.string().startsWith('/').optional().describe('http only: the path asked for (default `/`).'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('http: default 80 (https when 443); tcp: required.'),
    command: nonEmpty
      .optional()
      .describe('command only: split on whitespace, run without a shell; `{server}` is the address.'),
    timeout: durationSchema.optional().describe('Per address (default `30s`).'),
  })
  .superRefine((check, ctx) => {
    if (check.type === 'tcp' && check.port === undefined)
      ctx.addIssue({ code: 'custom', path: ['port'], message: 'a tcp health check needs a port' });
    if (check.type === 'command' && check.command === undefined)
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'a command health check needs a command' });
    if (check.type !== 'command' && check.command !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['command'],
        message: `only a command health check takes a command`,
      });
    if (check.type !== 'http' && check.path !== undefined)
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'only an http health check takes a path' });
  });

/** Variables Tide gives a template switch action (only those the template declares are passed). */
export const templateActionVariables = [
  'environment',
  'domain',
  'workspace',
  'reserved_ips',
  'targets',
  'servers',
] as const;

export const switchActionSchema = z
  .strictObject({
    command: commandSchema
      .optional()
      .describe(
        'Run once per reserved IP, without a shell (a string is split on whitespace). Placeholders: {reserved_ip}, {resource}, {server}, {workspace}, {environment}, {domain}.',
      ),
    template: nameSchema
      .optional()
      .describe(
        'Instead of a command: a template (`templates/<name>` or a registered git template) applied once per switch as its own OpenTofu stack, with the variables environment, domain, workspace, reserved_ips, targets and servers.',
      ),
    variables: variablesSchema
      .optional()
      .describe(
        "template only: more variables for the template (Tide's own win on a clash); only those it declares are passed.",
      ),
    timeout: durationSchema
      .optional()
      .describe(
        'Per command (default `60s`); per engine command of a template, init and apply (default `10m`).',
      ),
  })
  .superRefine((action, ctx) => {
    if ((action.command === undefined) === (action.template === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'name either a command or a template (not both)',
      });
    if (action.variables !== undefined && action.template === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['variables'],
        message: 'only a template action takes variables',
      });
  });

export const environmentFileSchema = z.strictObject({
  description: z.string().optional().describe('Free text shown in listings.'),
  domain: nonEmpty.describe('The stable name the environment serves (informational).'),
  reserved_ips: z
    .array(nonEmpty)
    .min(1, { error: 'at least one reserved IP is needed' })
    .describe('The stable addresses moved from workspace to workspace, in order.'),
  assigned_workspace: nameSchema
    .optional()
    .describe('The initial assignment, used until the first switch recorded in the database.'),
  healthcheck: healthCheckSchema,
  outputs: z
    .strictObject({
      addresses: nameOrIdentifier()
        .optional()
        .describe('Output holding the targets: a string or a list of strings (default `load_balancers`).'),
      address_map: nameOrIdentifier()
        .optional()
        .describe('Output mapping a target id to its IP (default `load_balancer_ips`).'),
    })
    .optional(),
  action: switchActionSchema.optional(),
  verify: z
    .boolean()
    .optional()
    .describe(
      'Run the health check again on the new targets after the switch action; if it fails, restore the previous assignment (default true).',
    ),
});

function nameOrIdentifier() {
  return z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*$/, { error: 'not an OpenTofu output name' });
}

export type EnvironmentFile = z.infer<typeof environmentFileSchema>;
