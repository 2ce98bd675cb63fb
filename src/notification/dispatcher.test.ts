import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { NotificationTarget } from '../config/config-model.ts';
import { GlobalSecrets } from '../secrets/global-secrets.ts';
import { makeKeyring } from '../secrets/encryption-key.ts';
import { inTransaction } from '../store/dialect.ts';
import { ManualClock } from '../time/clock.ts';
import { DEFAULT_RETRY, NotificationDispatcher, retryDelayMs } from './dispatcher.ts';
import type { NotificationEvent } from './notification-event.ts';
import { listDeliveries, pendingCount } from './outbox.repo.ts';
import { notifier } from './notify.ts';
import { verifySignature } from './signature.ts';
import { startReceiver, type TestReceiver } from './test-receiver.ts';

const silent = { warn: () => {}, error: () => {} };

const failedDeploy: NotificationEvent = {
  type: 'run_failed',
  id: 'run-1:failed',
  occurred_at: '2026-03-02T10:00:00.000Z',
  workspace: 'web',
  run_id: 'run-1',
  action: 'deploy',
  state: 'failed',
  trigger: 'schedule',
  reason: 'exit code 1: Error: creating instance',
};

forEachDialect('notification delivery', (harness) => {
  let clock: ManualClock;
  let receiver: TestReceiver;
  let secrets: GlobalSecrets;

  beforeEach(async () => {
    clock = new ManualClock('2026-03-02T10:00:00Z');
    receiver = await startReceiver();
    secrets = new GlobalSecrets({ db: harness.db, keyring: makeKeyring(randomBytes(32)), clock });
    await secrets.set('hook-key', 'shh-hmac-key');
  });
  afterEach(() => receiver.close());

  /** A configuration with one global webhook target that every failed deploy goes to. */
  function notify(target: NotificationTarget = { type: 'webhook', url: receiver.url, secret: 'hook-key' }) {
    const snapshot = {
      notifications: {
        file: 'notifications.yaml',
        targets: new Map([['ops', target]]),
        rules: [{ on: ['deploy_failed'], targets: ['ops'], workspaces: [], actions: [] }],
      },
    };
    return notifier(() => ({ snapshot, workspaces: new Map() }), clock);
  }

  function dispatcher(holder: string, allowPrivate = true) {
    return new NotificationDispatcher({
      db: harness.db,
      clock,
      logger: silent,
      holder,
      random: () => 0,
      deliver: {
        secret: (name) => secrets.resolve(name),
        smtp: () => undefined,
        publicUrl: 'https://tide.example.com',
        http: { allowPrivate, connectTimeoutMs: 5_000, totalTimeoutMs: 10_000 },
        now: () => clock.now(),
      },
    });
  }

  it('delivers a signed JSON body the receiver can verify, with the event and delivery headers', async () => {
    expect(await notify()(harness.db, failedDeploy)).toBe(1);
    expect(await dispatcher('a').dispatchDue()).toBe(1);

    expect(receiver.received).toHaveLength(1);
    const [{ headers, body }] = receiver.received as [{ headers: Record<string, string>; body: string }];
    expect(verifySignature('shh-hmac-key', body, headers['x-tide-signature']!, clock.now())).toBe(true);
    expect(verifySignature('other-key', body, headers['x-tide-signature']!, clock.now())).toBe(false);
    // A captured delivery replayed after the 5-minute window is refused.
    const later = new Date(clock.now().getTime() + 301_000);
    expect(verifySignature('shh-hmac-key', body, headers['x-tide-signature']!, later)).toBe(false);
    expect(headers['x-tide-event']).toBe('run_failed');
    expect(headers['x-tide-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const parsed = JSON.parse(body) as { type: string; message: { link: string; title: string } };
    expect(parsed.type).toBe('run_failed');
    expect(parsed.message.link).toBe('https://tide.example.com/runs/run-1');
    expect(parsed.message.title).toBe('deploy of web failed');
    expect(body).not.toContain('shh-hmac-key');
  });

  it('enqueues the same event once, however often it is emitted', async () => {
    expect(await notify()(harness.db, failedDeploy)).toBe(1);
    expect(await notify()(harness.db, failedDeploy)).toBe(0);
    expect(await pendingCount(harness.db)).toBe(1);
  });

  it('writes no outbox row when the transaction that emitted the event rolls back', async () => {
    await expect(
      inTransaction(harness.db, async (trx) => {
        await notify()(trx, failedDeploy);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await pendingCount(harness.db)).toBe(0);
  });

  it('retries a receiver answering 500 twice with backoff, and delivers on the third try exactly once', async () => {
    receiver.answers = [500, 500];
    await notify()(harness.db, failedDeploy);
    const a = dispatcher('a');

    expect(await a.dispatchDue()).toBe(1);
    // Not due before the backoff has passed (10 s after the first failure, 20 s after the second).
    expect(await a.dispatchDue()).toBe(0);
    clock.advance(retryDelayMs(1, DEFAULT_RETRY, () => 0));
    expect(await a.dispatchDue()).toBe(1);
    clock.advance(retryDelayMs(2, DEFAULT_RETRY, () => 0) - 1);
    expect(await a.dispatchDue()).toBe(0);
    clock.advance(1);
    expect(await a.dispatchDue()).toBe(1);
    clock.advance(3_600_000);
    expect(await a.dispatchDue()).toBe(0);

    expect(receiver.received.map((r) => r.headers['x-tide-delivery'])).toEqual(
      Array(3).fill(receiver.received[0]!.headers['x-tide-delivery']),
    );
    const log = await listDeliveries(harness.db, { limit: 10 });
    expect(log.items.map((d) => [d.attempt, d.outcome, d.status_code])).toEqual([
      [3, 'delivered', 200],
      [2, 'retry', 500],
      [1, 'retry', 500],
    ]);
    expect(await pendingCount(harness.db)).toBe(0);
  });

  it('gives up at once on a 4xx other than 429', async () => {
    receiver.answers = [404];
    await notify()(harness.db, failedDeploy);
    await dispatcher('a').dispatchDue();
    clock.advance(3_600_000);
    expect(await dispatcher('a').dispatchDue()).toBe(0);
    const [entry] = (await listDeliveries(harness.db, { limit: 10 })).items;
    expect(entry).toMatchObject({ outcome: 'failed', status_code: 404, error: 'HTTP 404: receiver says no' });
  });

  it('refuses a loopback receiver unless TIDE_NOTIFY_ALLOW_PRIVATE is set, and never connects to it', async () => {
    await notify()(harness.db, failedDeploy);
    await dispatcher('a', false).dispatchDue();
    expect(receiver.received).toHaveLength(0);
    const [entry] = (await listDeliveries(harness.db, { limit: 10 })).items;
    expect(entry?.outcome).toBe('failed');
    expect(entry?.error).toMatch(/refused: 127\.0\.0\.1 resolves to 127\.0\.0\.1/);
  });

  it('posts a Slack message to the URL held in a global secret', async () => {
    await secrets.set('slack-url', receiver.url);
    await notify({ type: 'slack', urlSecret: 'slack-url' })(harness.db, failedDeploy);
    await dispatcher('a').dispatchDue();
    const body = JSON.parse(receiver.received[0]!.body) as { text: string; blocks: { type: string }[] };
    expect(body.text).toBe('deploy of web failed: The deploy run (schedule) of workspace web ended failed.');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions']);
  });

  it('posts an Adaptive Card to Microsoft Teams', async () => {
    await secrets.set('teams-url', receiver.url);
    await notify({ type: 'teams', urlSecret: 'teams-url' })(harness.db, failedDeploy);
    await dispatcher('a').dispatchDue();
    const body = JSON.parse(receiver.received[0]!.body) as {
      type: string;
      attachments: { contentType: string; content: { type: string; body: { text?: string }[] } }[];
    };
    expect(body.type).toBe('message');
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(body.attachments[0]!.content.body[0]!.text).toBe('deploy of web failed');
  });

  it.runIf(harness.dialect === 'postgres')(
    'two dispatchers (replicas) on one database deliver each event once',
    async () => {
      for (let i = 0; i < 12; i++) await notify()(harness.db, { ...failedDeploy, id: `run-${i}:failed` });
      const a = dispatcher('replica-a');
      const b = dispatcher('replica-b');
      let total = 0;
      for (;;) {
        const [x, y] = await Promise.all([a.dispatchDue(), b.dispatchDue()]);
        if (x + y === 0) break;
        total += x + y;
      }
      expect(total).toBe(12);
      const ids = receiver.received.map((r) => JSON.parse(r.body).id as string);
      expect(new Set(ids).size).toBe(12);
      expect(ids).toHaveLength(12);
    },
  );
});
