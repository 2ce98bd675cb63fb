import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../../test/helpers/api-server.ts';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { listRuns } from '../../run/run.repo.ts';
import { upsertWorkspaceStatus } from '../../workspace/workspace-status.repo.ts';

// app → db → net
const files = {
  ...workspaceFiles('net', { enabled: true }),
  ...workspaceFiles('db', { enabled: true, depends_on: ['net'] }),
  ...workspaceFiles('app', { enabled: true, depends_on: ['db'], deploy_schedule: '0 7 * * *' }),
};

let server: ApiServer;
beforeAll(async () => {
  server = await startApiServer({ configDir: makeConfigDir(files) });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const tide = (...args: string[]) => runTideInProcess(args, { env: server.env });
const runIds = async (workspace: string) =>
  (await listRuns(server.fixture.db, { workspace })).items.map((run) => run.id);

describe('tide workspace deploy and destroy with dependencies', () => {
  it('prints the dependency runs queued first, then the run and the order', async () => {
    const result = await tide('workspace', 'deploy', 'app');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const [net] = await runIds('net');
    const [db] = await runIds('db');
    const [app] = await runIds('app');
    expect(result.stdout).toBe(
      [
        `Queued deploy of net first: run ${net}`,
        `Queued deploy of db first: run ${db}`,
        `Queued deploy of app: run ${app}`,
        'Order: net → db → app',
        '',
      ].join('\n'),
    );
  });

  it('redeploys deployed dependencies only with --with-dependencies', async () => {
    for (const name of ['net', 'db'])
      await upsertWorkspaceStatus(
        server.fixture.db,
        name,
        { status: 'deployed' },
        server.fixture.clock.now(),
      );
    expect((await tide('workspace', 'deploy', 'app')).stdout).toMatch(/^Queued deploy of app: run \S+\n$/);
    const all = await tide('workspace', 'deploy', 'db', '--with-dependencies', '--json');
    expect(JSON.parse(all.stdout)).toMatchObject({
      dependency_chain: 'net → db',
      dependency_runs: [{ workspace: 'net' }],
    });
  });

  it('refuses to destroy a workspace whose dependents are up unless --with-dependents', async () => {
    for (const name of ['net', 'db', 'app'])
      await upsertWorkspaceStatus(
        server.fixture.db,
        name,
        { status: 'deployed' },
        server.fixture.clock.now(),
      );
    const refused = await tide('workspace', 'destroy', 'db', '--yes');
    expect(refused.stderr).toBe(
      'tide: workspace "db" has dependent that would be destroyed first: "app" (order: app → db); pass --with-dependents (with_dependents: true) to destroy them too\n',
    );
    expect(refused.status).toBe(4);
    const destroyed = await tide('workspace', 'destroy', 'net', '--yes', '--with-dependents');
    expect(destroyed.status).toBe(0);
    expect(destroyed.stdout).toContain('Queued destroy of app first: run ');
    expect(destroyed.stdout).toContain('Order: app → db → net\n');
  });
});

describe('tide run dependencies', () => {
  it('lists what a run waits for and what waits for it, aligned', async () => {
    await tide('workspace', 'deploy', 'app');
    const [net] = await runIds('net');
    const [db] = await runIds('db');
    const [app] = await runIds('app');
    const result = await tide('run', 'dependencies', app!);
    expect(result.stdout).toBe(
      [
        'Waits for:',
        `  net  deploy   queued     run ${net}`,
        `  db   deploy   queued     run ${db}`,
        '',
      ].join('\n'),
    );
    expect((await tide('run', 'dependencies', net!)).stdout).toContain(
      `Needed by:\n  app  deploy   queued     run ${app}\n`,
    );
    const json = JSON.parse((await tide('run', 'dependencies', db!, '--json')).stdout);
    expect(json).toMatchObject({ run_id: db, waits_for: [{ run_id: net }] });
  });

  it('says when a run has no chain, and names an unknown run', async () => {
    await tide('workspace', 'plan', 'app');
    const [plan] = await runIds('app');
    expect((await tide('run', 'dependencies', plan!)).stdout).toBe(`Run ${plan} has no dependency chain\n`);
    const unknown = await tide('run', 'dependencies', 'nope');
    expect(unknown.status).toBe(3);
  });
});

describe('tide schedule preview', () => {
  it('shows what a deploy brings up first and a destroy takes down first', async () => {
    const config = makeConfigDir(files);
    try {
      const text = await runTideInProcess([
        'schedule',
        'preview',
        'db',
        '--config-dir',
        config.dir,
        '--days',
        '1',
      ]);
      expect(text.stdout).toContain(
        '\nDependencies (depends_on):\n  Deploy brings up first (those not deployed): net → db\n  Destroy takes down first (those not destroyed): app → db\n',
      );
      const json = await runTideInProcess([
        'schedule',
        'preview',
        'net',
        '--config-dir',
        config.dir,
        '--json',
      ]);
      expect(JSON.parse(json.stdout).dependencies).toEqual({ deploy: [], destroy: ['app', 'db'] });
      const alone = await runTideInProcess(['schedule', 'preview', 'net', '--config-dir', config.dir]);
      expect(alone.stdout).not.toContain('Deploy brings up first');
    } finally {
      config.cleanup();
    }
  });
});
