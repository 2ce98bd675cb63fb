import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTideInProcess } from '../../../test/helpers/run-cli.ts';
import { loadConfigDirectory } from '../../config/config-loader.ts';
import { applySnapshot } from '../../config/effective-config.ts';
import {
  markDeployed,
  recordingAction,
  startHealthServer,
  type HealthServer,
  type RecordingAction,
} from '../../environment/test-environment.ts';
import { openDatabase, type Store } from '../../store/database.ts';
import { migrateToLatest } from '../../store/migrate.ts';

let health: HealthServer;
let action: RecordingAction;
let configDir: ReturnType<typeof makeConfigDir>;
let dataDir: string;
let configHome: string;
let store: Store;
let fixture: ApiFixture;
let env: Record<string, string>;

beforeAll(async () => {
  health = await startHealthServer('127.0.0.1');
  action = recordingAction();
  configDir = makeConfigDir({
    ...workspaceFiles('blue', { enabled: true }),
    ...workspaceFiles('green', { enabled: true }),
    ...workspaceFiles('red', { enabled: true }),
    // The Provisioner's layout and keys; the action is Tide's addition.
    'production.json': {
      domain: 'shop.example.com',
      reserved_ips: ['198.51.100.1'],
      assigned_workspace: 'blue',
      healthcheck: { type: 'http', port: health.port, path: '/health', timeout: '5s' },
      action: { command: [action.script, action.log, '{reserved_ip}', '{resource}', '{workspace}'] },
    },
    // A template as the action, no check after the switch (only shown here: switching needs an engine).
    'templates/assign/main.tf': 'variable "targets" { type = list(string) }\n',
    'environments/zeta.yaml': [
      'domain: zeta.example.com',
      'reserved_ips: [198.51.100.9]',
      'healthcheck: { type: tcp, port: 443 }',
      'action: { template: assign, variables: { zone: z1 } }',
      'verify: false',
      '',
    ].join('\n'),
  });
  const { snapshot } = await loadConfigDirectory(configDir.dir, { defaultTimeZone: 'UTC' });
  dataDir = await mkdtemp(path.join(tmpdir(), 'tide-env-cli-'));
  configHome = await mkdtemp(path.join(tmpdir(), 'tide-env-cli-config-'));
  store = await openDatabase({ dataDir });
  await migrateToLatest(store);
  fixture = apiFixture(store.db, applySnapshot(null, snapshot).next);
  const url = await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  env = { TIDE_URL: url, TIDE_TOKEN: await fixture.adminToken(), XDG_CONFIG_HOME: configHome };
});

afterAll(async () => {
  await fixture.app.close();
  await store.close();
  await health.close();
  action.cleanup();
  configDir.cleanup();
  await rm(dataDir, { recursive: true, force: true });
  await rm(configHome, { recursive: true, force: true });
});

beforeEach(async () => {
  health.status = 200;
  await rm(action.log, { force: true });
  for (const table of [
    'environment_switches',
    'environment_assignments',
    'runs',
    'workspace_status',
  ] as const)
    await store.db.deleteFrom(table).execute();
  const now = fixture.clock.now();
  await markDeployed(store.db, 'blue', { load_balancers: '127.0.0.1' }, now);
  await markDeployed(store.db, 'green', { load_balancers: '127.0.0.1' }, now);
  // An id, not an IP: its address comes from the map output.
  await markDeployed(
    store.db,
    'red',
    { load_balancers: 'fail-red', load_balancer_ips: { 'fail-red': '127.0.0.1' } },
    now,
  );
});

const tide = (...args: string[]) => runTideInProcess(args, { env });

describe('tide environment (a client of a live API)', () => {
  it('lists environments with their assignment and health check', async () => {
    const result = await tide('environment', 'list');
    expect(result.status).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ENVIRONMENT\s+DOMAIN\s+ASSIGNED\s+RESERVED IPS\s+HEALTH CHECK$/);
    expect(lines[1]!.split(/\s+/)).toEqual([
      'production',
      'shop.example.com',
      'blue',
      '198.51.100.1',
      `http:${health.port}`,
    ]);
    const json = JSON.parse((await tide('environment', 'list', '--json')).stdout);
    expect(json).toMatchObject([
      { name: 'production', layout: 'provisioner', assigned_workspace: 'blue' },
      { name: 'zeta', layout: 'environments', assigned_workspace: null },
    ]);
  });

  it('shows a template action and whether the check runs again after a switch', async () => {
    const status = await tide('environment', 'status', 'zeta');
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(
      /Action:\s+template assign with zone, applied once per switch \(timeout 10m per engine command\)\n/,
    );
    expect(status.stdout).toMatch(/After switch:\s+no check \(verify: false\)\n/);
  });

  it('switches with --yes, printing each check and the action output, then shows the status', async () => {
    const result = await tide('environment', 'switch', 'production', 'green', '--yes');
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toBe(
      [
        `health ok   GET http://127.0.0.1:${health.port}/health → 200`,
        `action  ok   ${action.script} ${action.log} 198.51.100.1 127.0.0.1 green (exit 0)`,
        '    assigned 198.51.100.1 to 127.0.0.1',
        `verify ok   GET http://127.0.0.1:${health.port}/health → 200`,
        'environment production switched from blue to green',
        '',
      ].join('\n'),
    );
    expect(action.calls()).toEqual(['198.51.100.1 127.0.0.1 green secret=unset']);
    const status = await tide('environment', 'status', 'production');
    expect(status.stdout).toMatch(
      /Assigned:\s+green \(switched .* by fixture-admin\); protected from destroy\n/,
    );
    expect(status.stdout).toMatch(/Last switch:\s+switched blue → green /);
    expect(status.stdout).toMatch(
      /After switch:\s+health check again; the previous assignment restored if it fails\n/,
    );
    const again = await tide('environment', 'switch', 'production', 'green', '--yes');
    expect(again.stdout).toBe('environment production is already assigned to green; nothing to do\n');
  });

  it('asks for confirmation, and refuses without a terminal unless --yes', async () => {
    const result = await tide('environment', 'switch', 'production', 'green');
    expect(result).toMatchObject({
      status: 2,
      stderr:
        'tide: refusing to switch production without confirmation: stdin is not a terminal; use --yes\n',
    });
    expect(action.calls()).toEqual([]);
  });

  it('fails with the health check named when it does not pass (exit 4)', async () => {
    health.status = 503;
    const result = await tide('environment', 'switch', 'production', 'green', '--yes');
    expect(result.status).toBe(4);
    expect(result.stderr).toContain(
      `health FAIL GET http://127.0.0.1:${health.port}/health → 503 (not 2xx)\n`,
    );
    expect(result.stderr).toMatch(
      /tide: switch of environment "production" to "green" refused: health check failed/,
    );
    expect(action.calls()).toEqual([]);
  });

  it('reports a failed action and the restore of the previous assignment (exit 1)', async () => {
    const result = await tide('environment', 'switch', 'production', 'red', '--yes');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('    error: cannot assign to fail-red\n');
    expect(result.stderr).toContain(
      `restore ok   ${action.script} ${action.log} 198.51.100.1 127.0.0.1 blue (exit 0)`,
    );
    expect(result.stderr).toMatch(/the previous assignment \("blue"\) was restored\n$/);
    expect(action.calls()).toEqual([
      '198.51.100.1 fail-red red secret=unset',
      '198.51.100.1 127.0.0.1 blue secret=unset',
    ]);
  });
});
