import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { formatProblem, loadConfigDirectory } from './config-loader.ts';
import { unitOfPath } from './config-units.ts';

const dirs: { cleanup(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

async function load(files: Record<string, string | object>) {
  const dir = makeConfigDir({ ...workspaceFiles('web', { enabled: true }), ...files });
  dirs.push(dir);
  return (await loadConfigDirectory(dir.dir, { defaultTimeZone: 'UTC' })).snapshot;
}

const valid = `
smtp:
  host: smtp.example.com
  user: tide
  password_secret: smtp-password
  from: tide@example.com
targets:
  ops:
    type: webhook
    url: https://hooks.example.com/tide
    secret: ops-hook-key
  chat:
    type: slack
    url_secret: slack-url
  mail:
    type: email
    to: [oncall@example.com]
rules:
  - on: [run_failed, backup_failed]
    targets: [ops, chat]
    workspaces: ['team-a-*']
    actions: [deploy, destroy]
`;

describe('the global notifications file', () => {
  it('loads targets, rules and the SMTP server from notifications.yaml', async () => {
    const snapshot = await load({ 'notifications.yaml': valid });
    expect(snapshot.problems).toEqual([]);
    const settings = snapshot.notifications!;
    expect([...settings.targets.keys()]).toEqual(['ops', 'chat', 'mail']);
    expect(settings.targets.get('chat')).toEqual({ type: 'slack', urlSecret: 'slack-url' });
    expect(settings.smtp).toEqual({
      host: 'smtp.example.com',
      port: 587,
      secure: false,
      user: 'tide',
      passwordSecret: 'smtp-password',
      from: 'tide@example.com',
    });
    expect(settings.rules[0]).toEqual({
      on: ['run_failed', 'backup_failed'],
      targets: ['ops', 'chat'],
      workspaces: ['team-a-*'],
      actions: ['deploy', 'destroy'],
    });
  });

  it('names file, field and reason of every problem at once', async () => {
    const snapshot = await load({
      'notifications.yaml': `
targets:
  ops: { type: webhook, url: 'ftp://x', password: plain }
  mail: { type: email, to: [oncall@example.com] }
rules:
  - on: [run_exploded]
    targets: [ops]
`,
    });
    expect(snapshot.notifications).toBeUndefined();
    expect(snapshot.problems.map(formatProblem)).toEqual([
      'notifications.yaml: targets.ops.url: Invalid URL',
      'notifications.yaml: targets.ops.password: unknown key "password"',
      expect.stringMatching(/^notifications\.yaml: rules\[0\]\.on\[0\]: expected one of "run_succeeded"/),
    ]);
  });

  it('rejects rules naming an unknown target, and email targets without an SMTP server', async () => {
    const snapshot = await load({
      'notifications.json': {
        targets: { mail: { type: 'email', to: ['a@example.com'] } },
        rules: [{ on: ['run_failed'], targets: ['mail', 'nope'] }],
      },
    });
    expect(snapshot.problems.map(formatProblem)).toEqual([
      'notifications.json: rules[0].targets[1]: unknown target "nope"',
      'notifications.json: smtp: required: an "email" target needs the SMTP server',
    ]);
    // A top-level notifications.json is not a Provisioner environment file.
    expect(snapshot.environments?.size).toBe(0);
  });

  it('is a unit of its own for hot reload', () => {
    expect(unitOfPath('notifications.yaml')).toEqual({ kind: 'notifications', id: 'notifications.yaml' });
    expect(unitOfPath('notifications.json')).toEqual({ kind: 'notifications', id: 'notifications.json' });
  });
});

describe("a workspace's notifications", () => {
  it('keeps the Provisioner event names and accepts slack, teams and a global target', async () => {
    const snapshot = await load({
      ...workspaceFiles('web', {
        enabled: true,
        notifications: [
          { on: ['deploy_failed', 'reminder'], email: ['me@example.com'], remind_before: ['1h'] },
          { on: ['run_failed'], actions: ['job'], slack: { url_secret: 'slack-url' }, target: 'ops' },
          { on: ['drift_detected'], webhook: 'https://x.example.com/h', webhook_secret: 'k' },
        ],
      }),
      'notifications.yaml': valid,
    });
    expect(snapshot.problems).toEqual([]);
    expect(snapshot.workspaces.get('web')!.notifications[1]).toMatchObject({
      on: ['run_failed'],
      actions: ['job'],
      slackUrlSecret: 'slack-url',
      target: 'ops',
    });
  });

  it('warns, without stopping the workspace, about an unknown target and email without SMTP', async () => {
    const snapshot = await load({
      ...workspaceFiles('web', {
        enabled: true,
        notifications: [{ on: ['run_failed'], target: 'missing', email: ['me@example.com'] }],
      }),
    });
    expect(snapshot.workspaces.has('web')).toBe(true);
    expect(snapshot.problems.map(formatProblem)).toEqual([
      'warning: workspaces/web/config.json: notifications[0].target: notification target "missing" does not exist in notifications.yaml',
      'warning: workspaces/web/config.json: notifications[0].email: no SMTP server: set "smtp" in notifications.yaml',
    ]);
  });

  it('needs somewhere to send to', async () => {
    const snapshot = await load({
      ...workspaceFiles('web', { enabled: true, notifications: [{ on: ['run_failed'] }] }),
    });
    expect(snapshot.problems.map(formatProblem)).toEqual([
      'workspaces/web/config.json: notifications[0]: a notification needs "email", "webhook", "slack", "teams" or "target"',
    ]);
  });
});
