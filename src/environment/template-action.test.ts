import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { startStateBackendServer, type StateBackendServer } from '../../test/helpers/state-backend-server.ts';
import { loadConfigDirectory } from '../config/config-loader.ts';
import { applySnapshot, type EffectiveConfig } from '../config/effective-config.ts';
import type { Engine } from '../engine/engine.ts';
import { runEnvironment } from '../engine/run-environment.ts';
import { testEngine } from '../engine/test-engine.ts';
import { TideError } from '../errors/tide-error.ts';
import { ManualClock } from '../time/clock.ts';
import { EnvironmentService, type SwitchView } from './environment.service.ts';
import { updateRunState } from '../run/run.repo.ts';
import { insertActionRun } from './environment.repo.ts';
import { applyTemplateAction, templateVariables } from './template-action.ts';
import { markDeployed, startHealthServer, type HealthServer } from './test-environment.ts';

const NOW = '2027-04-01T09:00:00.000Z';

// Records what it was given; exit 1 (the apply fails) for the workspace named in fail_for.
const assignTf = `
variable "environment" { type = string }
variable "domain" { type = string }
variable "workspace" { type = string }
variable "reserved_ips" { type = list(string) }
variable "targets" { type = list(string) }
variable "servers" { type = list(string) }
variable "record" { type = string }
variable "fail_for" { type = string }
resource "terraform_data" "assign" {
  triggers_replace = [var.workspace, var.targets]
  provisioner "local-exec" {
    command = "echo '\${var.environment} \${var.domain} \${var.workspace} \${join(",", var.reserved_ips)} \${join(",", var.targets)} \${join(",", var.servers)}' >> \${var.record} && test '\${var.workspace}' != '\${var.fail_for}'"
  }
}
`;

let health: HealthServer;
let engine: Engine;
let root: string;
let record: string;
let configDir: ReturnType<typeof makeConfigDir>;
let config: EffectiveConfig;

beforeAll(async () => {
  health = await startHealthServer('127.0.0.1');
  engine = await testEngine();
  root = await mkdtemp(path.join(tmpdir(), 'tide-env-template-'));
  record = path.join(root, 'assign.log');
  configDir = makeConfigDir({
    ...workspaceFiles('blue', { enabled: true }),
    ...workspaceFiles('green', { enabled: true }),
    ...workspaceFiles('red', { enabled: true }),
    'templates/assign/main.tf': assignTf,
    'environments/web.json': {
      domain: 'web.example.com',
      reserved_ips: ['198.51.100.1', '198.51.100.2'],
      assigned_workspace: 'blue',
      healthcheck: { type: 'http', port: health.port, path: '/health', timeout: '5s' },
      action: { template: 'assign', variables: { record, fail_for: 'red' }, timeout: '2m' },
    },
  });
  const { snapshot } = await loadConfigDirectory(configDir.dir, { defaultTimeZone: 'UTC' });
  expect(snapshot.problems).toEqual([]);
  config = applySnapshot(null, snapshot).next;
});

afterAll(async () => {
  await health.close();
  configDir.cleanup();
  await rm(root, { recursive: true, force: true });
});

const outputsOf = (ids: [string, string]) => ({
  load_balancers: ids,
  load_balancer_ips: { [ids[0]]: '127.0.0.1', [ids[1]]: '127.0.0.1' },
});

const recorded = (): string[] =>
  existsSync(record) ? readFileSync(record, 'utf8').trimEnd().split('\n') : [];

forEachDialect('template switch action', (harness) => {
  let clock: ManualClock;
  let stateServer: StateBackendServer;
  let dataDir: string;
  let service: EnvironmentService;
  const env = { ...runEnvironment(process.env), TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' };

  beforeAll(async () => {
    clock = new ManualClock(NOW);
    stateServer = await startStateBackendServer(harness.db, clock);
  });
  afterAll(() => stateServer.close());

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(root, 'data-'));
    await rm(record, { force: true });
    health.seen.length = 0;
    const template = config.snapshot.templates.get('assign');
    service = new EnvironmentService({
      db: harness.db,
      clock,
      config: () => config,
      baseEnv: env,
      templateAction: {
        engine,
        dataDir,
        stateBackend: stateServer.endpoint,
        resolveTemplate: (name) => (name === 'assign' ? template : undefined),
      },
    });
    for (const [workspace, ids] of [
      ['blue', ['lb-b1', 'lb-b2']],
      ['green', ['lb-g1', 'lb-g2']],
      ['red', ['lb-r1', 'lb-r2']],
    ] as const)
      await markDeployed(harness.db, workspace, outputsOf([...ids]), clock.now());
  });

  it('applies the template with the targets as variables, its state in Tide, and applies it again for the previous targets when it fails', async () => {
    const view = await service.switch('web', 'green', 'alice');
    expect(view).toMatchObject({ result: 'switched', from_workspace: 'blue' });
    expect(recorded()).toEqual([
      'web web.example.com green 198.51.100.1,198.51.100.2 lb-g1,lb-g2 127.0.0.1,127.0.0.1',
    ]);
    expect(view.actions.map((a) => [a.argv[0], a.argv[1], a.ok])).toEqual([
      [engine.bin, 'init', true],
      [engine.bin, 'apply', true],
    ]);
    const state = await stateServer.history.pull('_jobs/_environment_/web');
    expect(JSON.parse(state.content.toString())).toMatchObject({
      resources: [{ type: 'terraform_data', name: 'assign' }],
    });
    const runs = await harness.db
      .selectFrom('runs')
      .select(['workspace', 'job', 'action', 'state', 'actor'])
      .where('workspace', '=', '_environment_')
      .execute();
    expect(runs).toEqual([
      {
        workspace: '_environment_',
        job: 'web',
        action: 'job',
        state: 'succeeded',
        actor: 'alice',
      },
    ]);
    // The run directory is gone; the plugin cache stays.
    expect(readdirSync(path.join(dataDir, 'runs'))).toEqual([]);

    const error = await service.switch('web', 'red', 'bob').then(
      () => null,
      (e: unknown) => e as TideError,
    );
    expect(error).toBeInstanceOf(TideError);
    expect(error!.code).toBe('switch_failed');
    expect(error!.message).toContain(
      `switch action failed: ${engine.bin} apply -input=false -no-color -auto-approve exited 1`,
    );
    expect(error!.message).toContain('the previous assignment ("green") was restored');
    expect(recorded().slice(1)).toEqual([
      'web web.example.com red 198.51.100.1,198.51.100.2 lb-r1,lb-r2 127.0.0.1,127.0.0.1',
      'web web.example.com green 198.51.100.1,198.51.100.2 lb-g1,lb-g2 127.0.0.1,127.0.0.1',
    ]);
    const failed = (error!.details as { switch: SwitchView }).switch;
    expect(failed.actions.map((a) => [a.argv[1], a.ok])).toEqual([
      ['init', true],
      ['apply', false],
    ]);
    expect(failed.restore).toMatchObject({ workspace: 'green', ok: true });
    expect(await service.get('web')).toMatchObject({
      assigned_workspace: 'green',
      action: { command: [], template: 'assign', variables: ['fail_for', 'record'], timeout: '2m' },
    });
  }, 240_000);

  it('fails without an engine or with a template that is gone, before anything runs', async () => {
    const environment = config.snapshot.environments!.get('web')!;
    const request = { environment, workspace: 'green', targets: [], env, actor: 'alice' };
    const base = { db: harness.db, clock, dataDir, stateBackend: stateServer.endpoint };
    expect(
      await applyTemplateAction({ ...base, engine: null, resolveTemplate: () => undefined }, request),
    ).toEqual([
      {
        argv: ['template', 'assign'],
        ok: false,
        exit_code: null,
        output: 'no engine on this server: a template action needs tofu or terraform (see TIDE_TOFU_BIN)',
      },
    ]);
    expect(
      (await applyTemplateAction({ ...base, engine, resolveTemplate: () => undefined }, request))[0]!.output,
    ).toBe('template "assign" does not exist (neither templates/assign nor a registered git template)');
    // One apply per environment at a time: another one running is a failed action, not an exception.
    const other = await insertActionRun(harness.db, {
      id: 'other-apply',
      scope: '_environment_',
      environment: 'web',
      actor: 'carol',
      owner: 'elsewhere',
      now: clock.now(),
      leaseMs: 60_000,
    });
    expect(
      (
        await applyTemplateAction(
          { ...base, engine, resolveTemplate: (n) => config.snapshot.templates.get(n) },
          request,
        )
      )[0]!.output,
    ).toBe('cannot apply template "assign": a switch action of environment "web" is already running');
    await updateRunState(harness.db, other.id, 'failed', clock.now(), { reason: 'test' });
    // The service refuses such a switch up front: nothing is claimed, checked or applied.
    const gone = new EnvironmentService({
      db: harness.db,
      clock,
      config: () => config,
      baseEnv: env,
      templateAction: { ...base, engine, resolveTemplate: () => undefined },
    });
    await expect(gone.switch('web', 'green', 'alice')).rejects.toMatchObject({
      code: 'config_invalid',
      message: 'environment "web" has no valid configuration: template "assign" does not exist',
    });
    const message =
      'cannot switch environment "web": its action is template "assign", and this server cannot apply templates (no engine or state backend)';
    const unable = new EnvironmentService({ db: harness.db, clock, config: () => config, baseEnv: env });
    await expect(unable.switch('web', 'green', 'alice')).rejects.toMatchObject({ code: 'conflict', message });
    const noEngine = new EnvironmentService({
      db: harness.db,
      clock,
      config: () => config,
      baseEnv: env,
      templateAction: { ...base, engine: null, resolveTemplate: (n) => config.snapshot.templates.get(n) },
    });
    await expect(noEngine.switch('web', 'green', 'alice')).rejects.toMatchObject({
      code: 'conflict',
      message,
    });
    expect(health.seen).toEqual([]);
    expect(recorded()).toEqual([]);
  });

  it("passes Tide's variables over the file's, aligned with the reserved IPs", () => {
    const environment = config.snapshot.environments!.get('web')!;
    const targets = [
      { resource: 'a', server: '10.0.0.1' },
      { resource: 'b', server: '10.0.0.2' },
      { resource: 'c', server: '10.0.0.3' },
    ];
    expect(
      templateVariables(
        {
          ...environment,
          action: {
            ...environment.action,
            template: { name: 'assign', variables: { environment: 'x', zone: 1 } },
          },
        },
        targets,
      ),
    ).toEqual({
      environment: 'web',
      zone: 1,
      domain: 'web.example.com',
      reserved_ips: ['198.51.100.1', '198.51.100.2'],
      targets: ['a', 'b'],
      servers: ['10.0.0.1', '10.0.0.2'],
    });
  });
});
