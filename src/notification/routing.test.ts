import { describe, expect, it } from 'vitest';
import type { NotificationRule, WorkspaceDefinition } from '../config/config-model.ts';
import { DEFAULT_RETRY, retryDelayMs } from './dispatcher.ts';
import { notificationEventTypes, selects, type NotificationEvent } from './notification-event.ts';
import { notificationEventNames } from '../config/notifications.schema.ts';
import { renderMessage } from './notification-message.ts';
import { outboxEntries, routeEvent } from './notify.ts';
import { backupFailedEvent, firingEvent, runOutcomeEvent } from './run-notifications.ts';
import { isForbiddenAddress, resolveSafely } from './ssrf-guard.ts';

const at = '2026-03-02T10:00:00.000Z';
const run = (action: 'deploy' | 'destroy' | 'job', state = 'failed'): NotificationEvent =>
  runOutcomeEvent(
    {
      id: 'r1',
      workspace: 'web',
      job: action === 'job' ? 'backup' : null,
      action,
      mode: null,
      state,
      trigger: 'schedule',
      reason: 'x'.repeat(600),
      exit_code: 1,
      finished_at: at,
    },
    new Date(at),
  )!;

function rule(extra: Partial<NotificationRule>): NotificationRule {
  return { on: ['run_failed'], actions: [], email: [], remindBeforeMs: [], ...extra };
}

describe('event names', () => {
  it('accepts in config every event type but test, plus the Provisioner names', () => {
    expect(
      notificationEventNames.filter((n) => (notificationEventTypes as readonly string[]).includes(n)),
    ).toEqual(notificationEventTypes.filter((t) => t !== 'test'));
  });

  it('maps deploy_failed to a failed deploy only, and narrows run events by actions', () => {
    expect(selects('deploy_failed', run('deploy'))).toBe(true);
    expect(selects('deploy_failed', run('destroy'))).toBe(false);
    expect(selects('destroy_succeeded', run('destroy', 'succeeded'))).toBe(true);
    expect(selects('run_failed', run('job'), ['deploy'])).toBe(false);
    expect(selects('run_failed', run('job'), ['job'])).toBe(true);
    expect(
      selects('reminder', {
        type: 'ttl_reminder',
        id: 'x',
        occurred_at: at,
        kind: 'ttl',
        destroy_at: at,
        lead_minutes: 15,
      }),
    ).toBe(true);
  });

  it('announces only succeeded, failed and timed-out runs', () => {
    expect(run('deploy', 'timed_out').type).toBe('run_failed');
    expect(run('deploy', 'succeeded').type).toBe('run_succeeded');
    const canceled = {
      id: 'r1',
      workspace: 'web',
      job: null,
      action: 'deploy' as const,
      mode: null,
      state: 'canceled',
      trigger: 'manual',
      reason: null,
      exit_code: null,
      finished_at: at,
    };
    expect(runOutcomeEvent(canceled, new Date(at))).toBeNull();
  });
});

describe('routing', () => {
  const workspace = {
    name: 'web',
    notifications: [
      rule({ email: ['a@example.com'], webhook: 'https://h.example.com', webhookSecret: 'k' }),
      rule({ on: ['deploy_failed'], slackUrlSecret: 's', teamsUrlSecret: 't', target: 'ops' }),
      rule({ on: ['drift_detected'], target: 'ops' }),
    ],
  } as unknown as WorkspaceDefinition;
  const snapshot = {
    notifications: {
      file: 'notifications.yaml',
      targets: new Map([['ops', { type: 'webhook' as const, url: 'https://ops.example.com' }]]),
      rules: [{ on: ['backup_failed'], targets: ['ops'], workspaces: [], actions: [] }],
    },
  };

  it("sends an event to the union of the global rules' and the workspace's targets, each once", () => {
    const names = routeEvent(run('deploy'), snapshot, workspace).map((t) => t.name);
    expect(names).toEqual([
      'workspace:web#0.email',
      'workspace:web#0.webhook',
      'workspace:web#1.slack',
      'workspace:web#1.teams',
      'ops',
    ]);
    const entries = outboxEntries(run('deploy'), routeEvent(run('deploy'), snapshot, workspace));
    expect(entries[1]).toMatchObject({
      dedupeKey: 'run_failed:r1:failed:workspace:web#0.webhook',
      destination: JSON.stringify({ type: 'webhook', url: 'https://h.example.com', secret: 'k' }),
    });
  });

  it('sends cluster-wide events to rules without workspace patterns only', () => {
    const event = backupFailedEvent(new Date(at), new Error('disk full'), new Date(at));
    expect(routeEvent(event, snapshot, null).map((t) => t.name)).toEqual(['ops']);
    const scoped = {
      notifications: {
        ...snapshot.notifications,
        rules: [{ ...snapshot.notifications.rules[0]!, workspaces: ['web'] }],
      },
    };
    expect(routeEvent(event, scoped, null)).toEqual([]);
  });
});

describe('messages', () => {
  it('says what happened for every event type, with the run link and a shortened reason', () => {
    const failed = renderMessage(run('job'), 'https://tide.example.com/');
    expect(failed.title).toBe('job backup of web failed');
    expect(failed.link).toBe('https://tide.example.com/runs/r1');
    expect(failed.fields.find((f) => f.name === 'reason')!.value).toHaveLength(500);
    const base = { id: 'x', occurred_at: at, workspace: 'web' };
    const titles = [
      firingEvent({
        id: 1,
        workspace: 'web',
        schedule_key: 'deploy_schedule',
        action: 'deploy',
        scheduled_at: at,
        outcome: 'missed',
        reason: 'downtime',
        recorded_at: at,
      })!,
      { ...base, type: 'ttl_reminder', kind: 'scheduled_destroy', destroy_at: at },
      { ...base, type: 'ttl_reminder', kind: 'ttl', destroy_at: at },
      { ...base, type: 'drift_detected', run_id: 'r2' },
      { ...base, type: 'config_error', file: 'workspaces/web/config.json', problems: ['bad'] },
      { ...base, type: 'environment_switched', environment: 'prod', from: null, to: 'web' },
      backupFailedEvent(new Date(at), 'disk full', new Date(at)),
      { ...base, type: 'test', target: 'ops' },
    ].map((event) => renderMessage(event as NotificationEvent).title);
    expect(titles).toEqual([
      'deploy of web missed',
      `web will be destroyed at ${at}`,
      `web will be destroyed at ${at}`,
      'Drift detected on web',
      'Configuration error in workspaces/web/config.json',
      'Environment prod now points at web',
      'Scheduled backup failed',
      'Tide test notification',
    ]);
    expect(
      firingEvent({
        id: 2,
        workspace: '_standalone_',
        schedule_key: 'jobs.x',
        action: 'job',
        scheduled_at: at,
        outcome: 'fired',
        reason: null,
        recorded_at: at,
      }),
    ).toBeNull();
  });
});

describe('SSRF guard', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '100.64.0.1',
    'not-an-ip',
  ])('refuses %s', (address) => expect(isForbiddenAddress(address)).toBe(true));
  it.each(['93.184.216.34', '2606:4700::1111', '::ffff:8.8.8.8'])('allows %s', (address) =>
    expect(isForbiddenAddress(address)).toBe(false),
  );

  it('refuses a name when any of its addresses is private, and allows it with the flag', async () => {
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 as const },
      { address: '10.0.0.5', family: 4 as const },
    ];
    await expect(resolveSafely('hooks.example.com', { allowPrivate: false, resolve })).rejects.toThrow(
      /resolves to 10\.0\.0\.5/,
    );
    expect(await resolveSafely('hooks.example.com', { allowPrivate: true, resolve })).toEqual({
      address: '93.184.216.34',
      family: 4,
    });
    await expect(resolveSafely('[::1]', { allowPrivate: false })).rejects.toThrow(/resolves to ::1/);
    await expect(resolveSafely('x', { allowPrivate: false, resolve: async () => [] })).rejects.toThrow(
      /no address/,
    );
  });
});

it('doubles the retry delay up to the cap, with at most 20% jitter', () => {
  expect([1, 2, 3].map((n) => retryDelayMs(n, DEFAULT_RETRY, () => 0))).toEqual([10_000, 20_000, 40_000]);
  expect(retryDelayMs(20, DEFAULT_RETRY, () => 0)).toBe(3_600_000);
  expect(retryDelayMs(1, DEFAULT_RETRY, () => 1)).toBe(12_000);
});
