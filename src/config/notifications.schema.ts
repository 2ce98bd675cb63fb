/**
 * Notification settings (docs/notifications.md): the `notifications` list of a workspace config, and the
 * global file `<config>/notifications.yaml|yml|json` with named targets, cluster-wide rules and the SMTP
 * server. Secrets (HMAC keys, Slack/Teams URLs, the SMTP password) are never written here: a field named
 * `*secret` holds the name of a global secret (`tide secret set <name>`), whose value lives encrypted in
 * the database.
 */
import { z } from 'zod';
import { durationSchema, nameSchema } from './common.schema.ts';

/**
 * Event names a rule's `on` may use: the event types (src/notification/notification-event.ts, minus
 * `test`) and the Provisioner-era names kept as aliases (`deploy_failed` = `run_failed` of a deploy).
 */
export const notificationEventNames = [
  'run_succeeded',
  'run_failed',
  'firing_missed',
  'firing_skipped',
  'ttl_reminder',
  'drift_detected',
  'config_error',
  'environment_switched',
  'backup_failed',
  'deploy_succeeded',
  'deploy_failed',
  'destroy_succeeded',
  'destroy_failed',
  'reminder',
] as const;

const secretNameSchema = nameSchema.describe('Name of a global secret (`tide secret set <name>`).');

const actionsSchema = z
  .array(z.enum(['deploy', 'destroy', 'plan', 'job', 'mode']))
  .min(1)
  .describe('For run events: only runs of these actions (default: all).');

const onSchema = z
  .array(z.enum(notificationEventNames))
  .min(1)
  .describe('Events that trigger this notification.');

const chatTargetSchema = z.strictObject({
  url_secret: secretNameSchema.describe(
    'Global secret holding the incoming-webhook URL (the URL is a credential: anyone holding it may post).',
  ),
});

export const notificationTargetSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }).describe('URL that receives a signed JSON POST.'),
    secret: secretNameSchema
      .optional()
      .describe('Global secret whose value signs each delivery (`X-Tide-Signature`); unsigned without it.'),
  }),
  z.strictObject({ type: z.literal('slack'), ...chatTargetSchema.shape }),
  z.strictObject({ type: z.literal('teams'), ...chatTargetSchema.shape }),
  z.strictObject({
    type: z.literal('email'),
    to: z.array(z.email()).min(1).describe('Recipients.'),
  }),
]);

export const notificationSmtpSchema = z.strictObject({
  host: z.string().min(1).describe('SMTP server host name or address.'),
  port: z.number().int().min(1).max(65535).optional().describe('Default 587 (465 when `secure`).'),
  secure: z.boolean().optional().describe('TLS from the first byte (port 465); default false (STARTTLS).'),
  user: z.string().optional().describe('User name to authenticate with.'),
  password_secret: secretNameSchema.optional().describe('Global secret holding the SMTP password.'),
  from: z.email().describe('Sender address of notification mail.'),
});

export const notificationsFileSchema = z.strictObject({
  smtp: notificationSmtpSchema.optional().describe('The SMTP server every `email` notification uses.'),
  targets: z
    .record(nameSchema, notificationTargetSchema)
    .optional()
    .describe('Named targets, used by the rules below and by workspaces (`target: <name>`).'),
  rules: z
    .array(
      z.strictObject({
        on: onSchema,
        targets: z.array(nameSchema).min(1).describe('Names of targets (above) to notify.'),
        workspaces: z
          .array(z.string().min(1))
          .optional()
          .describe('Workspace name patterns (`team-a-*`); default: every workspace and cluster events.'),
        actions: actionsSchema.optional(),
      }),
    )
    .optional()
    .describe('Cluster-wide rules: which events go to which targets.'),
});
export type NotificationsFile = z.infer<typeof notificationsFileSchema>;

export const notificationSchema = z
  .strictObject({
    on: onSchema,
    actions: actionsSchema.optional(),
    email: z.array(z.email()).optional().describe('Recipients by email (SMTP from the global file).'),
    webhook: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('URL that receives a JSON POST.'),
    webhook_secret: secretNameSchema
      .optional()
      .describe('Global secret that signs the `webhook` deliveries (`X-Tide-Signature`).'),
    slack: chatTargetSchema.optional().describe('Slack incoming webhook.'),
    teams: chatTargetSchema.optional().describe('Microsoft Teams incoming webhook or workflow.'),
    target: nameSchema.optional().describe('A target of the global notifications file, by name.'),
    remind_before: z
      .array(durationSchema)
      .optional()
      .describe('For `reminder`: how long before a scheduled destroy to remind (e.g. `["2h", "30m"]`).'),
  })
  .superRefine((value, ctx) => {
    if (!value.email && !value.webhook && !value.slack && !value.teams && !value.target) {
      ctx.addIssue({
        code: 'custom',
        message: 'a notification needs "email", "webhook", "slack", "teams" or "target"',
      });
    }
    if (value.webhook_secret && !value.webhook) {
      ctx.addIssue({ code: 'custom', path: ['webhook_secret'], message: 'only with "webhook"' });
    }
  });
