import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';

// app → db → net; vault (protected) → db.
const configDir = makeConfigDir({
  ...workspaceFiles('net', { enabled: true }),
  ...workspaceFiles('db', { enabled: true, depends_on: ['net'] }),
  ...workspaceFiles('app', { enabled: true, depends_on: ['db'], deploy_schedule: '0 7 * * *' }),
  ...workspaceFiles('vault', { enabled: true, protect: true, depends_on: ['db'] }),
});
let config: EffectiveConfig;
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

forEachDialect('workspace dependency routes', (harness) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = apiFixture(harness.db, config);
  });
  const get = (url: string) => f.app.inject({ url });
  const post = (url: string, payload?: object) => f.app.inject({ method: 'POST', url, payload });
  const statuses = async (status: 'deployed', ...names: string[]) => {
    for (const name of names) await upsertWorkspaceStatus(f.db, name, { status }, f.clock.now());
  };

  it('answers a deploy with the runs queued first for its dependencies, in run order', async () => {
    const response = await post('/api/v1/workspaces/app/deploy', {});
    expect(response.statusCode).toBe(202);
    const body = response.json();
    expect(body).toMatchObject({ workspace: 'app', action: 'deploy', trigger: 'api', state: 'queued' });
    expect(body.dependency_chain).toBe('net → db → app');
    expect(
      body.dependency_runs.map((r: { workspace: string; trigger: string }) => [r.workspace, r.trigger]),
    ).toEqual([
      ['net', 'dependency'],
      ['db', 'dependency'],
    ]);
    const chain = (await get(`/api/v1/runs/${body.id}/dependencies`)).json();
    expect(chain.waits_for.map((r: { workspace: string }) => r.workspace)).toEqual(['net', 'db']);
    const net = (await get(`/api/v1/runs/${body.dependency_runs[0].id}/dependencies`)).json();
    expect(net.needed_by.map((r: { workspace: string }) => r.workspace)).toEqual(['app', 'db']);
  });

  it('redeploys deployed dependencies only with with_dependencies', async () => {
    await statuses('deployed', 'net', 'db');
    const plain = (await post('/api/v1/workspaces/app/deploy', {})).json();
    expect(plain.dependency_runs).toEqual([]);
    expect(plain.dependency_chain).toBe('app');
    const all = (await post('/api/v1/workspaces/db/deploy', { with_dependencies: true })).json();
    expect(all.dependency_runs.map((r: { workspace: string }) => r.workspace)).toEqual(['net']);
  });

  it('refuses a destroy with dependents up unless with_dependents, and one through a protected dependent', async () => {
    await statuses('deployed', 'net', 'db', 'app');
    const refused = await post('/api/v1/workspaces/db/destroy', {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'conflict',
      details: { dependents: ['app'], chain: 'app → db' },
    });
    const destroyed = await post('/api/v1/workspaces/net/destroy', { with_dependents: true });
    expect(destroyed.statusCode).toBe(202);
    expect(destroyed.json().dependency_chain).toBe('app → db → net');

    await statuses('deployed', 'vault');
    const protectedChain = await post('/api/v1/workspaces/db/destroy', { with_dependents: true });
    expect(protectedChain.statusCode).toBe(409);
    expect(protectedChain.json().error.details).toMatchObject({ protected_dependents: ['vault'] });
  });

  it('rejects a dependency option on the wrong action or of the wrong type', async () => {
    for (const [url, payload] of [
      ['/api/v1/workspaces/app/deploy', { with_dependents: true }],
      ['/api/v1/workspaces/app/destroy', { with_dependencies: true }],
      ['/api/v1/workspaces/app/deploy', { with_dependencies: 'yes' }],
      ['/api/v1/workspaces/app/plan', { with_dependencies: true }],
    ] as const) {
      const response = await post(url, payload);
      expect(response.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
    }
  });

  it('queues a plan alone, and shows its empty chain', async () => {
    const plan = (await post('/api/v1/workspaces/app/plan')).json();
    expect(plan).toMatchObject({ action: 'plan', dependency_runs: [], dependency_chain: null });
    expect((await get(`/api/v1/runs/${plan.id}/dependencies`)).json()).toEqual({
      run_id: plan.id,
      waits_for: [],
      needed_by: [],
    });
    expect((await get('/api/v1/runs/nope/dependencies')).statusCode).toBe(404);
  });

  it('shows the declared chain in the schedule preview', async () => {
    const preview = (await get('/api/v1/workspaces/db/schedule?days=1')).json();
    expect(preview.dependencies).toEqual({ deploy: ['net'], destroy: ['app', 'vault'] });
  });
});
