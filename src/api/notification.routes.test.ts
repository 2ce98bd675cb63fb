import { pageOf } from './api-responses.ts';
import { deliveryViewSchema } from '../notification/delivery-view.schema.ts';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestAccessToken } from '../../test/helpers/auth-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { createLogger } from '../log/logger.ts';
import { Notifications } from '../notification/notifications.ts';
import { insertDelivery } from '../notification/outbox.repo.ts';
import { startReceiver, type TestReceiver } from '../notification/test-receiver.ts';
import { makeKeyring } from '../secrets/encryption-key.ts';
import { GlobalSecrets } from '../secrets/global-secrets.ts';
import { randomBytes } from 'node:crypto';

forEachDialect('notification and secret routes', (harness) => {
  let receiver: TestReceiver;
  let configDir: ReturnType<typeof makeConfigDir>;
  let config: EffectiveConfig;
  let f: ApiFixture;
  let secrets: GlobalSecrets;

  beforeAll(async () => {
    receiver = await startReceiver();
    configDir = makeConfigDir({
      ...workspaceFiles('team-a-web', { enabled: true }),
      ...workspaceFiles('team-b-web', { enabled: true }),
      'notifications.yaml': `targets:\n  ops:\n    type: webhook\n    url: ${receiver.url}\n    secret: hook-key\n`,
    });
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(async () => {
    configDir.cleanup();
    await receiver.close();
  });
  afterEach(() => {
    receiver.received.length = 0;
  });

  beforeEach(async () => {
    const db = harness.db;
    secrets = new GlobalSecrets({
      db,
      keyring: makeKeyring(randomBytes(32)),
      clock: { now: () => new Date() },
    });
    const notifications = new Notifications({
      db,
      clock: { now: () => new Date('2027-01-01T00:00:00Z') },
      logger: createLogger('silent'),
      config: () => config,
      secrets,
      allowPrivate: true,
      holder: 'test',
    });
    f = apiFixture(db, config, { notifications, globalSecrets: secrets });
    for (const [id, workspace, at] of [
      ['d1', 'team-a-web', '2027-01-01T00:00:01.000Z'],
      ['d2', 'team-b-web', '2027-01-01T00:00:02.000Z'],
      ['d3', null, '2027-01-01T00:00:03.000Z'],
    ] as const)
      await insertDelivery(db, {
        id,
        outbox_id: id,
        event_type: workspace ? 'run_failed' : 'backup_failed',
        workspace,
        target: 'ops',
        target_type: 'webhook',
        attempt: 1,
        outcome: 'delivered',
        status_code: 200,
        error: null,
        duration_ms: 3,
        created_at: at,
      });
  });

  const as = async (role: 'admin' | 'operator' | 'viewer', workspaces: string[] | null = null) =>
    `Bearer ${await createTestAccessToken(harness.db, f.auth, { username: `${role}-${workspaces?.join('') ?? 'all'}`, role, workspaces })}`;

  it('lists deliveries newest first with filters and pages', async () => {
    const all = await f.app.inject({ url: '/api/v1/notifications/deliveries' });
    expect(all.statusCode).toBe(200);
    expect(all.json().items.map((d: { id: string }) => d.id)).toEqual(['d3', 'd2', 'd1']);
    // The answer is exactly what the route declares (the OpenAPI document and the dashboard's type).
    const declared = pageOf(deliveryViewSchema).safeParse(all.json());
    expect(declared.error).toBeUndefined();
    expect(declared.data).toEqual(all.json());
    const failedRuns = await f.app.inject({
      url: '/api/v1/notifications/deliveries?event=run_failed&limit=1',
    });
    expect(failedRuns.json().items.map((d: { id: string }) => d.id)).toEqual(['d2']);
    const next = await f.app.inject({
      url: `/api/v1/notifications/deliveries?event=run_failed&limit=1&cursor=${failedRuns.json().next_cursor}`,
    });
    expect(next.json()).toMatchObject({ items: [{ id: 'd1' }], next_cursor: null });
    const bad = await f.app.inject({ url: '/api/v1/notifications/deliveries?status=lost' });
    expect(bad.statusCode).toBe(400);
  });

  it('shows an operator limited to team-a-* only its workspaces, and viewers nothing', async () => {
    const scoped = await f.app.inject({
      url: '/api/v1/notifications/deliveries',
      headers: { authorization: await as('operator', ['team-a-*']) },
    });
    expect(scoped.json().items.map((d: { id: string }) => d.id)).toEqual(['d1']);
    const viewer = await f.app.inject({
      url: '/api/v1/notifications/deliveries',
      headers: { authorization: await as('viewer') },
    });
    expect(viewer.statusCode).toBe(403);
  });

  it('sends a signed test notification to a target for an admin, audited; operators may not', async () => {
    await secrets.set('hook-key', 'k');
    const refused = await f.app.inject({
      method: 'POST',
      url: '/api/v1/notifications/test',
      payload: { target: 'ops' },
      headers: { authorization: await as('operator') },
    });
    expect(refused.statusCode).toBe(403);
    const sent = await f.app.inject({
      method: 'POST',
      url: '/api/v1/notifications/test',
      payload: { target: 'ops' },
    });
    expect(sent.statusCode).toBe(200);
    expect(sent.json()).toMatchObject({ target: 'ops', ok: true, status_code: 200, error: null });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.headers['x-tide-event']).toBe('test');
    const unknown = await f.app.inject({
      method: 'POST',
      url: '/api/v1/notifications/test',
      payload: { target: 'nope' },
    });
    expect(unknown.statusCode).toBe(404);
    const audit = await harness.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'notification.test')
      .execute();
    expect(audit.map((e) => [e.target, e.result])).toEqual([
      ['notification-target:ops', 'success'],
      ['notification-target:nope', 'failure'],
    ]);
  });

  it('sets a global secret for admins only, audited, and never shows its value', async () => {
    const value = 'https://hooks.slack.com/services/T000/B000/very-secret';
    const refused = await f.app.inject({
      method: 'PUT',
      url: '/api/v1/secrets/slack-url',
      payload: { value },
      headers: { authorization: await as('operator') },
    });
    expect(refused.statusCode).toBe(403);
    const set = await f.app.inject({ method: 'PUT', url: '/api/v1/secrets/slack-url', payload: { value } });
    expect(set.statusCode).toBe(204);
    expect(await secrets.resolve('slack-url')).toBe(value);
    const list = await f.app.inject({ url: '/api/v1/secrets' });
    expect(list.json().items.map((s: { name: string }) => s.name)).toEqual(['slack-url']);
    expect(list.body).not.toContain('very-secret');
    const entries = await harness.db.selectFrom('audit_log').selectAll().execute();
    expect(entries.find((e) => e.action === 'secret.set')).toMatchObject({
      target: 'secret:slack-url',
      result: 'success',
    });
    expect(JSON.stringify(entries)).not.toContain('very-secret');
    const stored = await harness.db.selectFrom('workspace_secrets').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain('very-secret');
  });
});
