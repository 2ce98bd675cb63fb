import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestToken } from '../../test/helpers/auth-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { loadConfigDirectory } from '../config/config-loader.ts';
import { claimNextQueued } from '../run/run.repo.ts';
import { applySnapshot, type EffectiveConfig } from '../config/effective-config.ts';
import {
  markDeployed,
  recordingAction,
  startHealthServer,
  type HealthServer,
  type RecordingAction,
} from '../environment/test-environment.ts';

let server: HealthServer;
let action: RecordingAction;
let configDir: ReturnType<typeof makeConfigDir>;
let config: EffectiveConfig;

beforeAll(async () => {
  server = await startHealthServer('127.0.0.1');
  action = recordingAction();
  configDir = makeConfigDir({
    ...workspaceFiles('blue', { enabled: true }),
    ...workspaceFiles('green', { enabled: true }),
    'environments/prod.json': {
      domain: 'shop.example.com',
      reserved_ips: ['198.51.100.1'],
      assigned_workspace: 'blue',
      healthcheck: { type: 'http', port: server.port, timeout: '5s' },
      action: { command: [action.script, action.log, '{reserved_ip}', '{resource}', '{workspace}'] },
    },
    'broken.json': { domain: 'x' },
  });
  const { snapshot } = await loadConfigDirectory(configDir.dir, { defaultTimeZone: 'UTC' });
  config = applySnapshot(null, snapshot).next;
});

afterAll(async () => {
  await server.close();
  action.cleanup();
  configDir.cleanup();
});

forEachDialect('environment routes', (harness) => {
  let f: ApiFixture;
  beforeEach(async () => {
    f = apiFixture(harness.db, config);
    server.status = 200;
    await markDeployed(f.db, 'blue', { load_balancers: '127.0.0.1' }, f.clock.now());
    await markDeployed(f.db, 'green', { load_balancers: ['127.0.0.1'] }, f.clock.now());
  });

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const switchTo = (workspace: string, headers: Record<string, string> = {}) =>
    f.app.inject({
      method: 'POST',
      url: '/api/v1/environments/prod/switch',
      headers: { authorization: headers.authorization ?? '', ...headers },
      payload: { workspace },
    });

  it('lists and shows environments to readers, bad files included with their error', async () => {
    const viewer = await createTestToken(f.db, { username: 'vera', role: 'viewer' });
    const list = await f.app.inject({ url: '/api/v1/environments', headers: as(viewer) });
    expect(list.statusCode).toBe(200);
    const { items } = list.json<{
      items: { name: string; config_error: string | null; assigned_workspace: string | null }[];
    }>();
    expect(items.map((e) => [e.name, e.assigned_workspace])).toEqual([
      ['broken', null],
      ['prod', 'blue'],
    ]);
    expect(items[0]!.config_error).toMatch(/^broken\.json: reserved_ips: /m);
    expect(items[0]!.config_error).toMatch(/^broken\.json: healthcheck: /m);
    const one = await f.app.inject({ url: '/api/v1/environments/prod', headers: as(viewer) });
    expect(one.json()).toMatchObject({
      name: 'prod',
      domain: 'shop.example.com',
      reserved_ips: ['198.51.100.1'],
      assignment_source: 'file',
      health_check: { type: 'http', port: server.port, path: '/', timeout: '5s' },
      switches: [],
    });
    const missing = await f.app.inject({ url: '/api/v1/environments/nope', headers: as(viewer) });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toBe('environment "nope" does not exist');
  });

  it('lets operators switch (audited), not viewers nor operators outside both workspaces', async () => {
    const viewer = await createTestToken(f.db, { username: 'vera', role: 'viewer' });
    const scoped = await createTestToken(
      f.db,
      { username: 'sam', role: 'operator' },
      { workspaces: ['green'] },
    );
    const operator = await createTestToken(f.db, { username: 'otto', role: 'operator' });
    expect((await switchTo('green', as(viewer))).statusCode).toBe(403);
    // sam may act on green but not on blue, which the switch takes off the environment.
    expect((await switchTo('green', as(scoped))).statusCode).toBe(403);
    const response = await switchTo('green', as(operator));
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      result: 'switched',
      from_workspace: 'blue',
      to_workspace: 'green',
      actor: expect.stringMatching(/^token:otto\//),
      checks: [{ address: '127.0.0.1', ok: true }],
      actions: [{ ok: true, exit_code: 0 }],
    });
    const audit = await f.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'environment.switch')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => [a.actor.split('/')[0], a.result])).toEqual([
      ['token:sam', 'failure'],
      ['token:otto', 'success'],
    ]);
    expect(JSON.parse(audit[1]!.details ?? '{}')).toMatchObject({
      workspace: 'green',
      result: 'switched',
      from_workspace: 'blue',
    });
    expect(audit[1]!.target).toBe('environment:prod');
    // The assigned workspace is now green: its destroy is refused, blue's is accepted.
    const destroy = await f.app.inject({ method: 'POST', url: '/api/v1/workspaces/green/destroy' });
    expect(destroy.statusCode).toBe(409);
    expect(destroy.json().error.message).toContain('assigned to environment "prod"');
    expect((await f.app.inject({ method: 'POST', url: '/api/v1/workspaces/blue/destroy' })).statusCode).toBe(
      202,
    );
  });

  it('answers a failed health check with health_check_failed and the recorded switch', async () => {
    server.status = 500;
    const response = await f.app.inject({
      method: 'POST',
      url: '/api/v1/environments/prod/switch',
      payload: { workspace: 'green' },
    });
    expect(response.statusCode).toBe(409);
    const { error } = response.json<{ error: { code: string; details: { switch: { result: string } } } }>();
    expect(error.code).toBe('health_check_failed');
    expect(error.details.switch.result).toBe('refused');
    const shown = await f.app.inject({ url: '/api/v1/environments/prod?switches=5' });
    expect(shown.json()).toMatchObject({ assigned_workspace: 'blue', switches: [{ result: 'refused' }] });
    const bad = await f.app.inject({
      method: 'POST',
      url: '/api/v1/environments/prod/switch',
      payload: { workspace: '../x' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it("reads the targets from the workspace's state in Tide when no run recorded outputs (an adopted workspace)", async () => {
    await f.db.deleteFrom('runs').where('workspace', '=', 'green').execute();
    const before = await f.app.inject({
      method: 'POST',
      url: '/api/v1/environments/prod/switch',
      payload: { workspace: 'green' },
    });
    expect(before.json().error.message).toBe(
      'cannot switch environment "prod": workspace "green" has no outputs: no successful deploy recorded them and its state in Tide has none',
    );
    // A state written through the backend, as the engine writes it (the shape `terraform apply` leaves).
    await f.runs.enqueue({ workspace: 'green', action: 'plan', trigger: 'manual' });
    const run = await claimNextQueued(f.db, { owner: 'runner-a', leaseMs: 30_000, clock: f.clock });
    const state = {
      version: 4,
      terraform_version: '1.9.0',
      serial: 3,
      lineage: 'lineage-green',
      outputs: {
        load_balancers: { value: ['127.0.0.1'], type: ['tuple', ['string']] },
        admin_password: { value: 'hunter2', type: 'string', sensitive: true },
      },
      resources: [],
    };
    await f.state.backend.write(
      'green',
      f.state.credentials.issue(run!),
      Buffer.from(JSON.stringify(state)),
      undefined,
    );
    await f.db.updateTable('runs').set({ state: 'succeeded', lease_expires_at: null }).execute();
    const response = await f.app.inject({
      method: 'POST',
      url: '/api/v1/environments/prod/switch',
      payload: { workspace: 'green' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      result: 'switched',
      targets: [{ resource: '127.0.0.1', server: '127.0.0.1' }],
    });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await f.app.inject({ url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/environments',
        '/api/v1/environments/{name}',
        '/api/v1/environments/{name}/switch',
      ]),
    );
  });
});
