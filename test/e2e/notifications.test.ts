import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/notification/signature.ts';
import { daemonHarness, markerWorkspaceTf, type DaemonHarness } from '../helpers/daemon-harness.ts';

const harnesses: DaemonHarness[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A real HTTP receiver: every POST it got, and a wait for the first of a given event type. */
async function receiver() {
  const deliveries: Delivery[] = [];
  const waiters: Array<() => void> = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(204).end();
      waiters.splice(0).forEach((wake) => wake());
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tide`;
  const event = async (type: string): Promise<Delivery> => {
    for (;;) {
      const found = deliveries.find((d) => d.headers['x-tide-event'] === type);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { url, deliveries, event };
}

describe('notifications from a running Tide to a real webhook receiver', () => {
  it('announces a firing skipped by an override and a deploy that succeeded, each signed with the secret from the store', async () => {
    const hook = await receiver();
    const h = await daemonHarness({}, '2027-06-01T08:00:00Z', { notifyAllowPrivate: true });
    harnesses.push(h);
    expect((await h.api('PUT', '/api/v1/secrets/hook-key', { value: 'webhook-signing-key' })).status).toBe(
      204,
    );
    h.write('workspaces/web/main.tf', markerWorkspaceTf(h.sideEffects));
    h.write('workspaces/web/config.json', {
      enabled: true,
      deploy_schedule: '0 9 * * *',
      destroy_schedule: '0 19 * * *',
      notifications: [
        { on: ['firing_skipped', 'deploy_succeeded'], webhook: hook.url, webhook_secret: 'hook-key' },
      ],
    });
    await h.restart();

    const override = await h.api('POST', '/api/v1/workspaces/web/overrides', {
      kind: 'skip_next',
      action: 'deploy',
      reason: 'no demo today',
    });
    expect(override.status).toBe(201);
    h.clock.set('2027-06-01T09:00:00Z');
    await h.daemon.scheduler!.tick();
    const skipped = await hook.event('firing_skipped');
    expect(
      verifySignature(
        'webhook-signing-key',
        skipped.body,
        String(skipped.headers['x-tide-signature']),
        h.clock.now(),
      ),
    ).toBe(true);
    expect(JSON.parse(skipped.body)).toMatchObject({
      type: 'firing_skipped',
      workspace: 'web',
      action: 'deploy',
      scheduled_at: '2027-06-01T09:00:00.000Z',
      reason: expect.stringContaining(`override ${override.body.id}`),
    });

    const queued = await h.api('POST', '/api/v1/workspaces/web/deploy', {});
    expect(await h.finished(queued.body.id)).toMatchObject({ state: 'succeeded' });
    const succeeded = await hook.event('run_succeeded');
    expect(
      verifySignature(
        'webhook-signing-key',
        succeeded.body,
        String(succeeded.headers['x-tide-signature']),
        h.clock.now(),
      ),
    ).toBe(true);
    expect(JSON.parse(succeeded.body)).toMatchObject({
      type: 'run_succeeded',
      run_id: queued.body.id,
      action: 'deploy',
    });
    // The secret itself never travels.
    expect(hook.deliveries.every((d) => !d.body.includes('webhook-signing-key'))).toBe(true);
  });
});
