import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateDirectory } from '../cli/commands/validate.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { formatProblem, loadConfigDirectory } from './config-loader.ts';
import { unitOfPath } from './config-units.ts';
import { ConfigWatcher, type ReloadEvent } from './config-watcher.ts';
import { parseEnvironmentFile, PROVISIONER_SWITCH_COMMAND } from './environment-file.ts';

/** An environment file exactly as the Provisioner's README shows one (`/etc/provisioner/production.json`). */
const provisionerFile = {
  domain: 'app.example.com',
  reserved_ips: ['203.0.113.10', '203.0.113.11'],
  assigned_workspace: 'blue',
  healthcheck: { type: 'http', path: '/health', port: 8080, timeout: '10s' },
};

const dirs: { cleanup(): void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

async function load(files: Record<string, string | object>) {
  const dir = makeConfigDir({
    ...workspaceFiles('blue', { enabled: true }),
    ...workspaceFiles('green', { enabled: true }),
    ...files,
  });
  dirs.push(dir);
  return (await loadConfigDirectory(dir.dir, { defaultTimeZone: 'UTC' })).snapshot;
}

describe('environment files', () => {
  it("loads the Provisioner's <config>/<env>.json unchanged, with the Provisioner's doctl action", async () => {
    const snapshot = await load({ 'production.json': provisionerFile });
    expect(snapshot.problems).toEqual([]);
    const env = snapshot.environments!.get('production')!;
    expect(env).toMatchObject({
      name: 'production',
      domain: 'app.example.com',
      reservedIps: ['203.0.113.10', '203.0.113.11'],
      initialWorkspace: 'blue',
      healthCheck: { type: 'http', path: '/health', port: 8080, timeoutMs: 10_000 },
      outputs: { addresses: 'load_balancers', addressMap: 'load_balancer_ips' },
      action: { command: PROVISIONER_SWITCH_COMMAND, timeoutMs: 60_000, implicit: true },
      layout: 'provisioner',
      file: 'production.json',
    });
    expect(env.action.command.join(' ')).toBe(
      'doctl compute reserved-ip-action assign {reserved_ip} --resource {resource} --wait',
    );
  });

  it('skips the top-level files the Provisioner skipped (config.json, *scheduler*, *jobs*, dotfiles)', async () => {
    const snapshot = await load({
      'config.json': { anything: true },
      'scheduler.json': { workspaces: {} },
      'jobs.json': [],
      '.hidden.json': 'not json',
      'notes.txt': 'hello',
    });
    expect(snapshot.problems).toEqual([]);
    expect([...snapshot.environments!.keys()]).toEqual([]);
    expect(unitOfPath('scheduler.json')).toBeNull();
    expect(unitOfPath('prod.json')).toEqual({ kind: 'environment', id: 'prod.json' });
    expect(unitOfPath('environments/prod.yaml')).toEqual({
      kind: 'environment',
      id: 'environments/prod.yaml',
    });
  });

  it("loads Tide's environments/<name>.yaml with its action, outputs and a tcp check", async () => {
    const snapshot = await load({
      'environments/shop.yaml': [
        'description: Shop front',
        'domain: shop.example.com',
        'reserved_ips: [198.51.100.7]',
        'healthcheck: {type: tcp, port: 443, timeout: 2s}',
        'outputs: {addresses: servers, address_map: server_ips}',
        'action:',
        '  command: [./assign.sh, "{reserved_ip}", "{server}", "{workspace}"]',
        '  timeout: 5m',
      ].join('\n'),
    });
    expect(snapshot.problems).toEqual([]);
    expect(snapshot.environments!.get('shop')).toMatchObject({
      description: 'Shop front',
      healthCheck: { type: 'tcp', port: 443, timeoutMs: 2000 },
      outputs: { addresses: 'servers', addressMap: 'server_ips' },
      action: {
        command: ['./assign.sh', '{reserved_ip}', '{server}', '{workspace}'],
        timeoutMs: 300_000,
        implicit: false,
      },
      layout: 'environments',
    });
  });

  it('names file, path and reason for every bad file, and never drops one in silence', async () => {
    const snapshot = await load({
      'broken.json': '{"domain": ',
      'environments/no-action.json': { ...provisionerFile },
      'environments/tcp.json': {
        domain: 'x',
        reserved_ips: [],
        healthcheck: { type: 'tcp', path: '/x' },
        action: { command: 'assign {ip}' },
        colour: 'blue',
      },
      'Upper.json': provisionerFile,
    });
    const lines = snapshot.problems.map(formatProblem).sort();
    expect(lines).toEqual([
      expect.stringMatching(/^Upper\.json: invalid environment name "Upper"/),
      expect.stringMatching(/^broken\.json: invalid JSON/),
      expect.stringMatching(/^environments\/no-action\.json: action: required: the command/),
      'environments/tcp.json: colour: unknown key "colour"',
      'environments/tcp.json: healthcheck.path: only an http health check takes a path',
      'environments/tcp.json: healthcheck.port: a tcp health check needs a port',
      'environments/tcp.json: reserved_ips: at least one reserved IP is needed',
    ]);
    expect(snapshot.problems.every((p) => p.unit.kind === 'environment')).toBe(true);
    expect([...snapshot.environments!.keys()]).toEqual([]);
  });

  it('rejects unknown placeholders in the action and a command check without a command', () => {
    const result = parseEnvironmentFile(
      'environments/a.json',
      JSON.stringify({
        domain: 'a',
        reserved_ips: ['1.2.3.4'],
        healthcheck: { type: 'command' },
        action: { command: ['assign', '{ip}'] },
      }),
    );
    expect(result).toEqual({
      ok: false,
      name: 'a',
      problems: [{ path: 'healthcheck.command', message: 'a command health check needs a command' }],
    });
    const placeholder = parseEnvironmentFile(
      'environments/a.json',
      JSON.stringify({
        domain: 'a',
        reserved_ips: ['1.2.3.4'],
        healthcheck: { type: 'command', command: 'check {server}' },
        action: { command: ['assign', '{ip}'] },
      }),
    );
    expect(placeholder).toMatchObject({
      ok: false,
      problems: [
        {
          path: 'action.command[1]',
          message: expect.stringMatching(/^unknown placeholder \{ip\}; known: \{reserved_ip\}/),
        },
      ],
    });
  });

  it('loads a template action with its variables and verify, and rejects a missing template or a mixed action', async () => {
    const base = {
      domain: 'a.example.com',
      reserved_ips: ['198.51.100.1'],
      healthcheck: { type: 'tcp', port: 443 },
    };
    const snapshot = await load({
      'templates/assign/main.tf': 'variable "targets" { type = list(string) }\n',
      'environments/good.json': {
        ...base,
        action: { template: 'assign', variables: { zone: 'z1' } },
        verify: false,
      },
      'environments/missing.json': { ...base, action: { template: 'nope' } },
      'environments/both.json': { ...base, action: { command: 'assign', template: 'assign' } },
      'environments/vars.json': { ...base, action: { command: 'assign', variables: { a: 1 } } },
      'environments/flag.json': { ...base, action: { command: 'assign' }, verify: 'yes' },
    });
    expect(snapshot.problems.map(formatProblem).sort()).toEqual([
      'environments/both.json: action: name either a command or a template (not both)',
      expect.stringMatching(/^environments\/flag\.json: verify: /),
      'environments/missing.json: action.template: template "nope" does not exist (neither templates/nope nor a registered git template)',
      'environments/vars.json: action.variables: only a template action takes variables',
    ]);
    expect([...snapshot.environments!.keys()]).toEqual(['good']);
    expect(snapshot.environments!.get('good')).toMatchObject({
      action: { command: [], template: { name: 'assign', variables: { zone: 'z1' } }, timeoutMs: 600_000 },
      verify: false,
    });
    const command = parseEnvironmentFile(
      'environments/c.json',
      JSON.stringify({ ...base, action: { command: 'x' } }),
    );
    expect(command).toMatchObject({
      ok: true,
      value: { verify: true, action: { command: ['x'], timeoutMs: 60_000 } },
    });
  });

  it('reports an environment defined in both layouts, and warns about an unknown assigned workspace', async () => {
    const snapshot = await load({
      'prod.json': { ...provisionerFile, assigned_workspace: 'purple' },
      'environments/prod.json': { ...provisionerFile, action: { command: 'true' } },
    });
    expect(snapshot.problems.map(formatProblem).sort()).toEqual([
      'prod.json: environment "prod" is already defined in environments/prod.json',
    ]);
    const warned = await load({ 'prod.json': { ...provisionerFile, assigned_workspace: 'purple' } });
    expect(warned.problems.map(formatProblem)).toEqual([
      'warning: prod.json: assigned_workspace: workspace "purple" does not exist',
    ]);
    expect(warned.environments!.has('prod')).toBe(true);
  });
});

describe('environment files on reload and in tide validate', () => {
  const watchers: ConfigWatcher[] = [];
  afterEach(async () => {
    await Promise.all(watchers.splice(0).map((w) => w.close()));
  });

  const nextReload = (watcher: ConfigWatcher) =>
    new Promise<ReloadEvent>((resolve) => watcher.once('reload', resolve));

  it('hot-reloads environments of both layouts: added, updated, rejected, removed', async () => {
    const config = makeConfigDir(workspaceFiles('blue', { enabled: true }));
    dirs.push(config);
    const watcher = new ConfigWatcher(config.dir, { defaultTimeZone: 'UTC' });
    watchers.push(watcher);
    await watcher.start();
    let reload = nextReload(watcher);
    config.write('production.json', provisionerFile);
    expect((await reload).changes).toEqual([{ kind: 'environment', name: 'production', change: 'added' }]);
    reload = nextReload(watcher);
    config.write('environments/shop.yaml', 'domain: x\nreserved_ips: [1.2.3.4]\nhealthcheck: {type: http}\n');
    const rejected = await reload;
    expect(rejected.changes).toEqual([{ kind: 'environment', name: 'shop', change: 'rejected' }]);
    expect(rejected.problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^environments\/shop\.yaml: action: required/),
    ]);
    reload = nextReload(watcher);
    config.write('production.json', { ...provisionerFile, domain: 'new.example.com' });
    expect((await reload).changes).toEqual([{ kind: 'environment', name: 'production', change: 'updated' }]);
    expect(watcher.current().snapshot.environments!.get('production')!.domain).toBe('new.example.com');
    reload = nextReload(watcher);
    rmSync(path.join(config.dir, 'production.json'));
    expect((await reload).changes).toEqual([{ kind: 'environment', name: 'production', change: 'removed' }]);
  });

  it('tide validate lists environments and fails on a bad environment file', async () => {
    const good = makeConfigDir({ ...workspaceFiles('blue', {}), 'production.json': provisionerFile });
    const bad = makeConfigDir({ ...workspaceFiles('blue', {}), 'production.json': { domain: 'x' } });
    dirs.push(good, bad);
    expect(await validateDirectory(good.dir, 'UTC')).toMatchObject({
      ok: true,
      environments: ['production'],
    });
    const result = await validateDirectory(bad.dir, 'UTC');
    expect(result.ok).toBe(false);
    expect(result.environments).toEqual([]);
    expect(result.problems.map((p) => [p.file, p.path])).toEqual([
      ['production.json', 'reserved_ips'],
      ['production.json', 'healthcheck'],
    ]);
  });
});
