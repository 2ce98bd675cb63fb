import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { FiringEvent } from '../events/event-hub.ts';
import type { WorkspaceStatusEvent } from '../run/run-events.ts';
import { appendLogChunk } from '../run/run-log.repo.ts';
import { FIXTURE_NOW, fixtureConfigDir, loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { createTestAccessToken, createTestToken } from '../../test/helpers/auth-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import {
  bearer,
  connectEvents,
  listeningFixture,
  refusedUpgrade,
  type EventClient,
  type EventMessage,
  type ListeningFixture,
} from '../../test/helpers/event-client.ts';

let config: EffectiveConfig;
const configDir = fixtureConfigDir();
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

const status = (workspace: string, value = 'deployed'): WorkspaceStatusEvent => ({
  workspace,
  status: value,
  mode: null,
});

const firing = (workspace: string): FiringEvent => ({
  workspace,
  schedule_key: 'deploy',
  action: 'deploy',
  scheduled_at: FIXTURE_NOW,
  outcome: 'fired',
  reason: null,
  run_id: null,
});

/** Which workspace a message is about, whatever its type. */
const workspaceOf = (message: EventMessage): unknown =>
  message.type === 'run.updated' ? (message.run as { workspace: string }).workspace : message.workspace;

const isSentinel = (message: EventMessage) =>
  message.type === 'workspace.status' && message.status === 'sentinel';

forEachDialect('GET /api/v1/events', (harness) => {
  let server: ListeningFixture;
  beforeEach(async () => {
    server = await listeningFixture(harness.db, config);
  });
  afterEach(async () => {
    await server.fixture.app.close();
  });

  async function connectAsAdmin(): Promise<EventClient> {
    const client = await connectEvents(server.eventsUrl, bearer(await server.fixture.adminToken()));
    await client.next((message) => message.type === 'hello');
    return client;
  }

  it('refuses an anonymous upgrade with 401 before upgrading, with the usual headers', async () => {
    const refused = await refusedUpgrade(server.eventsUrl);
    expect(refused.status).toBe(401);
    expect(refused.body.error?.code).toBe('unauthenticated');
    expect(refused.headers['x-request-id']).toEqual(expect.any(String));
    expect(refused.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses an upgrade with a token that stands for no one', async () => {
    const refused = await refusedUpgrade(server.eventsUrl, bearer('tide_not-a-real-token'));
    expect(refused.status).toBe(401);
  });

  it('ignores an access_token in the URL: credentials travel in headers only', async () => {
    const token = await server.fixture.adminToken();
    const refused = await refusedUpgrade(`${server.eventsUrl}?access_token=${token}`);
    expect(refused.status).toBe(401);
  });

  it('answers a plain GET without an upgrade with 400', async () => {
    const response = await server.fixture.app.inject({ method: 'GET', url: '/api/v1/events' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.message).toContain('WebSocket');
  });

  it('greets the caller with its name and role', async () => {
    const client = await connectEvents(server.eventsUrl, bearer(await server.fixture.adminToken()));
    expect(await client.next()).toEqual({
      type: 'hello',
      principal: { name: 'fixture-admin', role: 'admin' },
    });
    client.socket.close();
  });

  it('streams a run as it is queued and its log lines as they are written', async () => {
    const { fixture } = server;
    const client = await connectAsAdmin();
    const run = await fixture.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const updated = await client.next();
    expect(updated).toMatchObject({
      type: 'run.updated',
      run: { id: run.id, workspace: 'web', state: 'queued' },
    });
    // The public view only: queue internals stay out.
    expect(updated.run).not.toHaveProperty('lock_key');
    expect(updated.run).not.toHaveProperty('fencing_token');

    const chunk = await appendLogChunk(fixture.db, run.id, {
      stream: 'stdout',
      content: 'Plan: 3 to add\nApplying…',
      created_at: fixture.clock.now(),
    });
    const lines = ['Plan: 3 to add', 'Applying…'];
    fixture.hub.emit('run.log', { runId: run.id, workspace: 'web', seq: chunk.seq, stream: 'stdout', lines });
    expect(await client.next()).toEqual({
      type: 'run.log',
      run_id: run.id,
      workspace: 'web',
      seq: chunk.seq,
      stream: 'stdout',
      lines,
    });
    client.socket.close();
  });

  it('streams workspace status changes and firings in snake_case', async () => {
    const client = await connectAsAdmin();
    server.fixture.hub.emit('workspace.status', { workspace: 'web', status: 'deployed', mode: 'small' });
    server.fixture.hub.emit('firing.recorded', firing('web'));
    expect(await client.next()).toEqual({
      type: 'workspace.status',
      workspace: 'web',
      status: 'deployed',
      mode: 'small',
    });
    expect(await client.next()).toEqual({ type: 'firing.recorded', ...firing('web') });
    client.socket.close();
  });

  it('sends an operator limited to team-a-* everything about team-a and nothing about team-b', async () => {
    const { fixture } = server;
    const token = await createTestToken(fixture.db, {
      username: 'alice',
      role: 'operator',
      workspaces: ['team-a-*'],
    });
    const client = await connectEvents(server.eventsUrl, bearer(token));
    expect(await client.next()).toMatchObject({ type: 'hello', principal: { role: 'operator' } });

    for (const workspace of ['team-b-x', 'team-a-x']) {
      const run = await fixture.runs.enqueue({ workspace, action: 'deploy', trigger: 'api' });
      fixture.hub.emit('run.log', { runId: run.id, workspace, seq: 1, stream: 'stdout', lines: ['hello'] });
      fixture.hub.emit('workspace.status', status(workspace));
      fixture.hub.emit('firing.recorded', firing(workspace));
    }
    // Standalone jobs belong to no workspace: only principals without patterns see them.
    await fixture.runs.enqueue({ workspace: '_standalone_', job: 'cleanup', action: 'job', trigger: 'api' });
    fixture.hub.emit('workspace.status', status('team-a-sentinel', 'sentinel'));

    const received = await client.until(isSentinel);
    expect(received.map((message) => [message.type, workspaceOf(message)])).toEqual([
      ['run.updated', 'team-a-x'],
      ['run.log', 'team-a-x'],
      ['workspace.status', 'team-a-x'],
      ['firing.recorded', 'team-a-x'],
      ['workspace.status', 'team-a-sentinel'],
    ]);
    client.socket.close();
  });

  it('sends standalone jobs to principals without workspace patterns', async () => {
    const client = await connectAsAdmin();
    await server.fixture.runs.enqueue({
      workspace: '_standalone_',
      job: 'cleanup',
      action: 'job',
      trigger: 'api',
    });
    expect(await client.next()).toMatchObject({ type: 'run.updated', run: { workspace: '_standalone_' } });
    client.socket.close();
  });

  it('narrows the stream to the subscribed workspaces and types', async () => {
    const { fixture } = server;
    const client = await connectAsAdmin();
    client.send({ subscribe: { workspaces: ['web'], types: ['run.updated'] } });
    expect(await client.next()).toEqual({ type: 'subscribed', workspaces: ['web'], types: ['run.updated'] });

    fixture.hub.emit('workspace.status', status('web'));
    await fixture.runs.enqueue({ workspace: 'vault', action: 'deploy', trigger: 'api' });
    const web = await fixture.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const received = await client.until((message) => message.type === 'run.updated');
    expect(received).toEqual([expect.objectContaining({ run: expect.objectContaining({ id: web.id }) })]);

    // An empty subscription restores everything.
    client.send({ subscribe: {} });
    expect(await client.next()).toEqual({ type: 'subscribed', workspaces: null, types: null });
    fixture.hub.emit('workspace.status', status('vault'));
    expect(await client.next()).toMatchObject({ type: 'workspace.status', workspace: 'vault' });
    client.socket.close();
  });

  it('cannot widen the stream beyond the principal by subscribing', async () => {
    const { fixture } = server;
    const token = await createTestToken(fixture.db, {
      username: 'bob',
      role: 'viewer',
      workspaces: ['team-a-*'],
    });
    const client = await connectEvents(server.eventsUrl, bearer(token));
    client.send({ subscribe: { workspaces: ['team-b-*', '_standalone_', 'team-a-*'] } });
    await client.next((message) => message.type === 'subscribed');
    fixture.hub.emit('workspace.status', status('team-b-x'));
    fixture.hub.emit('workspace.status', status('_standalone_'));
    fixture.hub.emit('workspace.status', status('team-a-x', 'sentinel'));
    expect((await client.until(isSentinel)).map(workspaceOf)).toEqual(['team-a-x']);
    client.socket.close();
  });

  it('answers an invalid subscription with an error message and keeps the connection and filter', async () => {
    const { fixture } = server;
    const client = await connectAsAdmin();
    client.send({ subscribe: { types: ['run.updated'] } });
    await client.next((message) => message.type === 'subscribed');

    client.send({ subscribe: { types: ['run.deleted'], workspaces: ['Web!'] } });
    const error = await client.next();
    expect(error).toMatchObject({ type: 'error', error: { code: 'validation_failed' } });
    const problems = (error.error as { details: { problems: { path: string }[] } }).details.problems;
    expect(problems.map((problem) => problem.path).sort()).toEqual([
      'body.subscribe.types[0]',
      'body.subscribe.workspaces[0]',
    ]);
    client.socket.send('not json');
    expect(await client.next()).toMatchObject({ type: 'error', error: { code: 'invalid_argument' } });

    fixture.hub.emit('workspace.status', status('web'));
    await fixture.runs.enqueue({ workspace: 'web', action: 'plan', trigger: 'api' });
    expect(await client.until((message) => message.type === 'run.updated')).toHaveLength(1);
    client.socket.close();
  });

  it('refuses a cookie-authenticated upgrade from a foreign Origin, before upgrading', async () => {
    const token = await createTestAccessToken(server.fixture.db, server.fixture.auth, {
      username: 'carol',
      role: 'viewer',
    });
    const cookie = `tide_access=${token}`;
    const foreign = await refusedUpgrade(server.eventsUrl, {
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error?.code).toBe('csrf_failed');
    const noOrigin = await refusedUpgrade(server.eventsUrl, { headers: { cookie } });
    expect(noOrigin.status).toBe(403);

    const own = await connectEvents(server.eventsUrl, { headers: { cookie, origin: server.origin } });
    expect(await own.next()).toMatchObject({ type: 'hello', principal: { name: 'carol' } });
    own.socket.close();
  });

  it('accepts a Bearer upgrade whatever its Origin: a page cannot make a browser send that header', async () => {
    const token = await server.fixture.adminToken();
    const client = await connectEvents(server.eventsUrl, {
      headers: { authorization: `Bearer ${token}`, origin: 'https://tools.example' },
    });
    expect(await client.next()).toMatchObject({ type: 'hello' });
    client.socket.close();
  });
});
