import { beforeEach, expect, it } from 'vitest';
import { forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestToken } from '../../test/helpers/auth-fixture.ts';
import { claimNextQueued } from '../run/run.repo.ts';
import type { Run } from '../run/run.ts';

function stateDocument(serial: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ version: 4, serial, lineage: 'lin-1', resources: [], ...extra });
}

forEachApiDialect("state routes: the engine's http backend and the versions people see", (fixture) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });

  async function claimed(workspace: string): Promise<Run> {
    await f.runs.enqueue({ workspace, action: 'deploy', trigger: 'manual' });
    const run = await claimNextQueued(f.db, { owner: 'runner-a', leaseMs: 30_000, clock: f.clock });
    if (!run) throw new Error('nothing claimed');
    return run;
  }

  function basic(run: Run): string {
    const { username, password } = f.state.credentials.issue(run);
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }

  const backend = (method: string, run: Run | null, payload?: string, url = '/api/v1/state/web') =>
    f.app.inject({
      method: method as 'GET',
      url,
      headers: {
        authorization: run ? basic(run) : '',
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { payload }),
    });

  it('speaks the http backend protocol: 204 with no state, POST stores, GET returns it as sent', async () => {
    const run = await claimed('web');
    expect((await backend('GET', run)).statusCode).toBe(204);
    const written = stateDocument(1, { outputs: { a: { value: 1 } } });
    expect((await backend('POST', run, written)).statusCode).toBe(200);
    const read = await backend('GET', run);
    expect(read.statusCode).toBe(200);
    expect(read.body).toBe(written);
    expect((await backend('DELETE', run)).statusCode).toBe(200);
    expect((await backend('GET', run)).statusCode).toBe(204);
  });

  it("takes a state larger than the API's 1 MiB body limit", async () => {
    const run = await claimed('web');
    const big = stateDocument(1, { padding: 'x'.repeat(3 * 1024 * 1024) });
    expect((await backend('POST', run, big)).statusCode).toBe(200);
    expect((await backend('GET', run)).body.length).toBe(big.length);
  });

  it("answers LOCK under another ID with 423 and the holder's lock info, then UNLOCK releases", async () => {
    const run = await claimed('web');
    const info = JSON.stringify({ ID: 'lock-1', Operation: 'OperationTypeApply', Who: 'tide@runner' });
    expect((await backend('LOCK', run, info)).statusCode).toBe(200);
    const refused = await backend('LOCK', run, JSON.stringify({ ID: 'lock-2' }));
    expect(refused.statusCode).toBe(423);
    expect(refused.json()).toMatchObject({ ID: 'lock-1', Who: 'tide@runner' });
    const posted = await f.app.inject({
      method: 'POST',
      url: '/api/v1/state/web?ID=lock-2',
      headers: { authorization: basic(run), 'content-type': 'application/json' },
      payload: stateDocument(1),
    });
    expect(posted.statusCode).toBe(423);
    expect(posted.json().error.code).toBe('state_locked');
    expect((await backend('UNLOCK', run, info)).statusCode).toBe(200);
  });

  it("accepts only a run credential: none, a person's token or another workspace's run get 401/403", async () => {
    const run = await claimed('web');
    const none = await backend('GET', null);
    expect(none.statusCode).toBe(401);
    expect(none.json().error.message).toMatch(/run credential \(HTTP Basic\)/);
    const admin = await f.app.inject({
      url: '/api/v1/state/web',
      headers: { authorization: `Bearer ${await f.adminToken()}` },
    });
    expect(admin.statusCode).toBe(401);
    const elsewhere = await backend('GET', run, undefined, '/api/v1/state/vault');
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().error.code).toBe('forbidden');
  });

  it("serves a template job's own state at /state/_jobs/{scope}/{job}", async () => {
    await f.runs.enqueue({ workspace: '_standalone_', job: 'snap', action: 'job', trigger: 'manual' });
    const run = await claimNextQueued(f.db, { owner: 'runner-a', leaseMs: 30_000, clock: f.clock });
    const url = '/api/v1/state/_jobs/_standalone_/snap';
    expect((await backend('POST', run!, stateDocument(1), url)).statusCode).toBe(200);
    expect((await backend('GET', run!, undefined, url)).statusCode).toBe(200);
  });

  it('lists versions to any reader; content and rollback are for admins, and the rollback is audited', async () => {
    const run = await claimed('web');
    await backend('POST', run, stateDocument(1, { resources: ['a'] }));
    await backend('POST', run, stateDocument(2, { resources: ['a', 'b'] }));
    await f.db.updateTable('runs').set({ state: 'succeeded', lease_expires_at: null }).execute();
    const viewer = await createTestToken(f.db, { username: 'vera', role: 'viewer' });
    const operator = await createTestToken(f.db, { username: 'otto', role: 'operator' });
    const as = (token: string) => ({ authorization: `Bearer ${token}` });

    const list = await f.app.inject({ url: '/api/v1/workspaces/web/state', headers: as(viewer) });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ state_key: 'web', total: 2, lock: null });
    expect(list.json().versions.map((v: { serial: number }) => v.serial)).toEqual([2, 1]);
    expect(JSON.stringify(list.json())).not.toContain('resources');

    for (const token of [viewer, operator]) {
      const content = await f.app.inject({ url: '/api/v1/workspaces/web/state/content', headers: as(token) });
      expect(content.statusCode).toBe(403);
    }
    const content = await f.app.inject({ url: '/api/v1/workspaces/web/state/content?serial=1' });
    expect(content.statusCode).toBe(200);
    expect(content.headers['cache-control']).toBe('no-store');
    expect(content.json().resources).toEqual(['a']);

    const refused = await f.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces/web/state/rollback',
      headers: as(operator),
      payload: { serial: 1 },
    });
    expect(refused.statusCode).toBe(403);
    const rolled = await f.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces/web/state/rollback',
      payload: { serial: 1 },
    });
    expect(rolled.statusCode).toBe(200);
    expect(rolled.json()).toMatchObject({ serial: 3, written_by: 'user:fixture-admin' });
    const audit = await f.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'state.rollback')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'fixture-admin', target: 'workspace:web', result: 'success' });
    expect(JSON.parse(audit[0]!.details ?? '{}')).toEqual({ serial: 1, new_serial: 3 });

    const bad = await f.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces/web/state/rollback',
      payload: { serial: 'one' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it("documents the backend's GET, POST and DELETE with the run credential scheme, not LOCK/UNLOCK", async () => {
    await f.app.ready();
    const document = (await f.app.inject({ url: '/api/v1/openapi.json' })).json();
    const backendPath = document.paths['/api/v1/state/{key}'];
    expect(Object.keys(backendPath).sort()).toEqual(['delete', 'get', 'post']);
    expect(backendPath.post.security).toEqual([{ runCredential: [] }]);
    expect(document.paths['/api/v1/workspaces/{name}/state/rollback'].post['x-tide-permission']).toBe(
      'admin',
    );
  });
});
