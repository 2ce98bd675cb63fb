import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { issueAccessToken } from '../auth/access-token.ts';
import { createFamily } from '../auth/session.repo.ts';
import { updateUser } from '../auth/user.repo.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { fixtureConfigDir, loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { createTestToken, createTestUser } from '../../test/helpers/auth-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import {
  bearer,
  connectEvents,
  listeningFixture,
  type EventClient,
  type ListeningFixture,
} from '../../test/helpers/event-client.ts';
import { DEFAULT_EVENT_STREAM_LIMITS, type EventStreamLimits } from './event-socket.ts';
import { MAX_CLIENT_MESSAGE_BYTES } from './events.routes.ts';

let config: EffectiveConfig;
const configDir = fixtureConfigDir();
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

/** Far apart by default, so no test sees a ping or a re-check it did not ask for. */
const QUIET: EventStreamLimits = {
  ...DEFAULT_EVENT_STREAM_LIMITS,
  pingIntervalMs: 3_600_000,
  recheckIntervalMs: 3_600_000,
};
/** Short enough for a test to wait for a few rounds, long enough not to starve the event loop. */
const TICK_MS = 25;

forEachDialect('event stream connections', (harness) => {
  let server: ListeningFixture;

  async function start(limits: Partial<EventStreamLimits> = {}): Promise<ListeningFixture> {
    server = await listeningFixture(harness.db, config, { eventStream: { ...QUIET, ...limits } });
    return server;
  }

  async function connectAsAdmin(): Promise<EventClient> {
    const client = await connectEvents(server.eventsUrl, bearer(await server.fixture.adminToken()));
    await client.next((message) => message.type === 'hello');
    return client;
  }

  afterEach(async () => {
    if (server.fixture.app.server.listening) await server.fixture.app.close();
  });

  it('closes every connection with 1001 (going away) when the app closes', async () => {
    await start();
    const client = await connectAsAdmin();
    const closing = server.fixture.app.close();
    expect(await client.closed()).toBe(1001);
    await closing;
  });

  it('stops listening to the hub when the client goes away', async () => {
    const { fixture } = await start();
    const before = fixture.hub.listenerCount('run.log');
    const client = await connectAsAdmin();
    expect(fixture.hub.listenerCount('run.log')).toBe(before + 1);
    client.socket.close();
    await client.closed();
    await vi.waitFor(() => expect(fixture.hub.listenerCount('run.log')).toBe(before), { timeout: 5_000 });
  });

  it('closes with 1008 once the user behind the token is disabled', async () => {
    const { fixture } = await start({ recheckIntervalMs: TICK_MS });
    const dave = await createTestUser(fixture.db, { username: 'dave', role: 'viewer' });
    const client = await connectEvents(server.eventsUrl, bearer(await createTestToken(fixture.db, dave)));
    await client.next((message) => message.type === 'hello');
    await updateUser(fixture.db, dave.id, { disabled: true });
    expect(await client.closed()).toBe(1008);
  });

  it('closes with 1008 once its access token expires, by the server clock', async () => {
    const { fixture } = await start({ recheckIntervalMs: TICK_MS });
    const erin = await createTestUser(fixture.db, { username: 'erin', role: 'viewer' });
    const sessionId = randomUUID();
    await createFamily(fixture.db, { id: sessionId, userId: erin.id, now: fixture.clock.now() });
    const { token } = await issueAccessToken(
      fixture.auth.accessToken,
      { userId: erin.id, username: 'erin', role: 'viewer', workspaces: null, sessionId },
      fixture.clock.now(),
    );
    const client = await connectEvents(server.eventsUrl, bearer(token));
    await client.next((message) => message.type === 'hello');
    fixture.clock.advance(fixture.auth.accessToken.ttlMs + 1_000);
    expect(await client.closed()).toBe(1008);
  });

  it('applies narrowed workspace patterns at a re-check, without reconnecting', async () => {
    const { fixture } = await start({ recheckIntervalMs: TICK_MS });
    const frank = await createTestUser(fixture.db, { username: 'frank', role: 'viewer' });
    const client = await connectEvents(server.eventsUrl, bearer(await createTestToken(fixture.db, frank)));
    await client.next((message) => message.type === 'hello');
    await updateUser(fixture.db, frank.id, { workspaces: ['team-a-*'] });
    // Rounds of "team-b, then a team-a sentinel" until one arrives without team-b: the re-check ran.
    await vi.waitFor(
      async () => {
        fixture.hub.emit('workspace.status', { workspace: 'team-b-x', status: 'deployed', mode: null });
        fixture.hub.emit('workspace.status', { workspace: 'team-a-x', status: 'sentinel', mode: null });
        const round = await client.until((message) => message.status === 'sentinel');
        expect(round.map((message) => message.workspace)).toEqual(['team-a-x']);
      },
      { timeout: 5_000, interval: TICK_MS },
    );
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close();
  });

  it('keeps a client that answers pings', async () => {
    await start({ pingIntervalMs: TICK_MS });
    const client = await connectAsAdmin();
    let pings = 0;
    await new Promise<void>((resolve) =>
      client.socket.on('ping', () => {
        if (++pings === 4) resolve();
      }),
    );
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close();
  });

  it('terminates a peer that answers no ping', async () => {
    await start({ pingIntervalMs: TICK_MS });
    const client = await connectEvents(server.eventsUrl, {
      ...bearer(await server.fixture.adminToken()),
      autoPong: false,
    });
    // 1006: the server cut the connection without a closing handshake.
    expect(await client.closed()).toBe(1006);
  });

  it('closes a client that reads too slowly with 1013 and stops queueing events for it', async () => {
    const { fixture } = await start({ maxBufferedBytes: 64 * 1024 });
    const client = await connectAsAdmin();
    const listening = fixture.hub.listenerCount('run.log');
    client.socket.pause();
    const line = 'x'.repeat(64 * 1024);
    // Enough to fill the kernel's socket buffers on both ends, then the server's own; bounded so a
    // server that never gives up fails the test instead of eating memory.
    for (let seq = 1; fixture.hub.listenerCount('run.log') === listening; seq++) {
      if (seq > 500) throw new Error('the server kept queueing events for a client that reads nothing');
      fixture.hub.emit('run.log', {
        runId: 'run-slow',
        workspace: 'web',
        seq,
        stream: 'stdout',
        lines: [line],
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    client.socket.resume();
    expect(await client.closed(10_000)).toBe(1013);
  });

  it('closes with 1009 a client that sends a message over the size limit', async () => {
    await start();
    const client = await connectAsAdmin();
    const oversized = {
      subscribe: { workspaces: Array.from({ length: 2_000 }, (_, i) => `workspace-${i}`) },
    };
    expect(JSON.stringify(oversized).length).toBeGreaterThan(MAX_CLIENT_MESSAGE_BYTES);
    client.send(oversized);
    expect(await client.closed()).toBe(1009);
  });
});
