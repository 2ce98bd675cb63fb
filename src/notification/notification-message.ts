/**
 * What a person reads: a title, a one-line summary and a few fields, the same for every target (Slack,
 * Teams and email lay them out their own way). Built only from the event, which holds no secrets and no
 * run logs: a failed run's `reason` is the run's recorded reason, never log output.
 */
import type { NotificationEvent } from './notification-event.ts';

export interface NotificationMessage {
  readonly title: string;
  readonly summary: string;
  readonly fields: readonly { readonly name: string; readonly value: string }[];
  /** `${TIDE_PUBLIC_URL}/runs/<id>` for run events, when a public URL is configured. */
  readonly link?: string;
  /** The link's button text. */
  readonly linkLabel?: string;
}

/** Long reasons are shortened: a notification points at the run, it does not replace its page. */
const MAX_REASON = 500;

export function renderMessage(event: NotificationEvent, publicUrl?: string): NotificationMessage {
  const where = event.workspace ? `workspace ${event.workspace}` : 'Tide';
  const fields: { name: string; value: string }[] = [];
  const add = (name: string, value: string | number | null | undefined) => {
    if (value !== undefined && value !== null && value !== '') fields.push({ name, value: String(value) });
  };
  add('workspace', event.workspace);
  let title: string;
  let summary: string;
  let link: string | undefined;
  let linkLabel = 'Open run';
  switch (event.type) {
    case 'run_succeeded':
    case 'run_failed': {
      const verb = event.type === 'run_succeeded' ? 'succeeded' : 'failed';
      const what = event.action === 'job' && event.job ? `job ${event.job}` : event.action;
      title = `${what} of ${event.workspace ?? 'Tide'} ${verb}`;
      summary = `The ${what} run (${event.trigger}) of ${where} ended ${event.state}.`;
      add('action', event.action);
      add('mode', event.mode);
      add('state', event.state);
      add('trigger', event.trigger);
      add('exit code', event.exit_code);
      add('reason', shorten(event.reason));
      add('run', event.run_id);
      if (publicUrl) link = `${publicUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(event.run_id)}`;
      break;
    }
    case 'firing_missed':
    case 'firing_skipped': {
      const outcome = event.type === 'firing_missed' ? 'missed' : 'skipped';
      title = `${event.action} of ${event.workspace ?? 'Tide'} ${outcome}`;
      summary = `The ${event.action} scheduled at ${event.scheduled_at} for ${where} was ${outcome}.`;
      add('schedule', event.schedule_key);
      add('scheduled at', event.scheduled_at);
      add('reason', shorten(event.reason));
      break;
    }
    case 'ttl_reminder':
      title = `${event.workspace ?? 'Tide'} will be destroyed at ${event.destroy_at}`;
      summary =
        event.kind === 'ttl'
          ? `The deployment of ${where} reaches its time to live at ${event.destroy_at}.`
          : `A scheduled destroy of ${where} runs at ${event.destroy_at}.`;
      add('destroy at', event.destroy_at);
      add('in', `${event.lead_minutes} min`);
      if (event.extend_url) {
        link = event.extend_url;
        linkLabel = 'Extend';
      }
      break;
    case 'drift_detected':
      title = `Drift detected on ${event.workspace ?? 'Tide'}`;
      summary = event.summary ?? `The infrastructure of ${where} differs from its code.`;
      add('run', event.run_id);
      add('resources', shorten(event.addresses?.join('\n')));
      break;
    case 'config_error':
      title = `Configuration error in ${event.file}`;
      summary = `${event.file} was rejected; the last good configuration stays in force.`;
      add('problems', shorten(event.problems.join('\n')));
      break;
    case 'environment_switched':
      title = `Environment ${event.environment} now points at ${event.to}`;
      summary = `Environment ${event.environment} switched from ${event.from ?? 'nothing'} to ${event.to}.`;
      add('environment', event.environment);
      add('from', event.from);
      add('to', event.to);
      break;
    case 'backup_failed':
      title = 'Scheduled backup failed';
      summary = `The scheduled backup failed: ${shorten(event.error)}`;
      break;
    case 'test':
      title = 'Tide test notification';
      summary = `A test of the notification target "${event.target}".`;
      break;
  }
  return { title, summary, fields, ...(link && { link, linkLabel }) };
}

function shorten(text: string | null | undefined): string | undefined {
  if (!text) return undefined;
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text;
}

/** Slack incoming webhook: `text` for notifications and clients without blocks, blocks for the rest. */
export function slackBody(message: NotificationMessage): object {
  const fields = message.fields.map((f) => ({
    type: 'mrkdwn',
    text: `*${f.name}*\n${escapeSlack(f.value)}`,
  }));
  return {
    text: `${message.title}: ${message.summary}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: message.title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: escapeSlack(message.summary) } },
      // Slack takes at most 10 fields per section.
      ...(fields.length > 0 ? [{ type: 'section', fields: fields.slice(0, 10) }] : []),
      ...(message.link
        ? [
            {
              type: 'actions',
              elements: [
                {
                  type: 'button',
                  text: { type: 'plain_text', text: message.linkLabel ?? 'Open' },
                  url: message.link,
                },
              ],
            },
          ]
        : []),
    ],
  };
}

function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Microsoft Teams: an Adaptive Card in a `message` envelope, the format both Teams workflows ("Post to a
 * channel when a webhook request is received") and the older incoming webhooks accept.
 */
export function teamsBody(message: NotificationMessage): object {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', size: 'Medium', weight: 'Bolder', wrap: true, text: message.title },
            { type: 'TextBlock', wrap: true, text: message.summary },
            { type: 'FactSet', facts: message.fields.map((f) => ({ title: f.name, value: f.value })) },
          ],
          actions: message.link
            ? [{ type: 'Action.OpenUrl', title: message.linkLabel ?? 'Open', url: message.link }]
            : [],
        },
      },
    ],
  };
}

export function emailText(message: NotificationMessage): string {
  return [
    message.summary,
    '',
    ...message.fields.map((f) => `${f.name}: ${f.value}`),
    ...(message.link ? ['', message.link] : []),
  ].join('\n');
}
