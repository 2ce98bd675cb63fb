import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { loadConfigDirectory } from '../config/config-loader.ts';
import { applySnapshot, type EffectiveConfig } from '../config/effective-config.ts';
import { runEnvironment } from '../engine/run-environment.ts';
import { TideError } from '../errors/tide-error.ts';
import { EventHub } from '../events/event-hub.ts';
import { RunService } from '../run/run.service.ts';
import { decideFirings } from '../scheduler/firing-decisions.ts';
import { observeUnit } from '../scheduler/observe.ts';
import { scheduleUnits } from '../scheduler/schedule-units.ts';
import { reconcileWindow } from '../scheduler/window-reconcile.ts';
import { ManualClock } from '../time/clock.ts';
import { WorkspaceService } from '../workspace-service/workspace.service.ts';
import { environmentHolding } from './environment-protection.ts';
import { EnvironmentService, type SwitchView } from './environment.service.ts';
import {
  markDeployed,
  recordingAction,
  startHealthServer,
  startTcpServer,
  type HealthServer,
  type RecordingAction,
} from './test-environment.ts';

const NOW = '2027-03-15T10:00:00.000Z';

let first: HealthServer;
let second: HealthServer;
let tcp: { port: number; close(): Promise<void> };
let action: RecordingAction;
let binDir: string;
let config: EffectiveConfig;
let configDir: ReturnType<typeof makeConfigDir>;
let baseEnv: Record<string, string>;

beforeAll(async () => {
  action = recordingAction();
  // Both servers answer 503 once the action has been given a `break-*` target (verification tests).
  first = await startHealthServer('127.0.0.1', 0, { statusFile: action.statusFile });
  second = await startHealthServer('127.0.0.2', first.port, { statusFile: action.statusFile });
  tcp = await startTcpServer('127.0.0.1');
  // A `doctl` on PATH that records its argv like the action script: the Provisioner layout's default.
  binDir = mkdtempSync(path.join(tmpdir(), 'tide-env-bin-'));
  writeFileSync(
    path.join(binDir, 'doctl'),
    `#!/bin/sh\necho "doctl $* secret=\${TIDE_SECRET_PROBE:-unset}" >> '${action.log}'\necho "Reserved IP assigned"\n`,
  );
  chmodSync(path.join(binDir, 'doctl'), 0o755);
  process.env.TIDE_SECRET_PROBE = 'server-secret';
  baseEnv = runEnvironment({ ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}` });
  configDir = makeConfigDir({
    ...workspaceFiles('blue', { enabled: true, destroy_schedule: '0 19 * * *' }),
    ...workspaceFiles('green', { enabled: true }),
    ...workspaceFiles('red', { enabled: true }),
    ...workspaceFiles('cache', { enabled: true }),
    ...workspaceFiles('cold', { enabled: true }),
    'environments/prod.json': {
      description: 'Shop',
      domain: 'shop.example.com',
      reserved_ips: ['198.51.100.1', '198.51.100.2'],
      assigned_workspace: 'blue',
      healthcheck: { type: 'http', port: first.port, path: '/health', timeout: '5s' },
      action: {
        command: [action.script, action.log, '{reserved_ip}', '{resource}', '{server}', '{workspace}'],
      },
    },
    // No check after the switch.
    'environments/edge.yaml': [
      'domain: edge.example.com',
      'reserved_ips: [198.51.100.9]',
      `healthcheck: { type: http, port: ${first.port}, path: /health, timeout: 5s }`,
      `action: { command: [${action.script}, ${action.log}, '{reserved_ip}', '{resource}'] }`,
      'verify: false',
      '',
    ].join('\n'),
    // The Provisioner's layout and format: no action (doctl), a tcp check.
    'db.json': {
      domain: 'db.example.com',
      reserved_ips: ['203.0.113.5'],
      assigned_workspace: 'cold',
      healthcheck: { type: 'tcp', port: tcp.port, timeout: '5s' },
    },
  });
  const { snapshot } = await loadConfigDirectory(configDir.dir, { defaultTimeZone: 'UTC' });
  expect(snapshot.problems).toEqual([]);
  config = applySnapshot(null, snapshot).next;
});

afterAll(async () => {
  delete process.env.TIDE_SECRET_PROBE;
  await Promise.all([first.close(), second.close(), tcp.close()]);
  action.cleanup();
  rmSync(binDir, { recursive: true, force: true });
  configDir.cleanup();
});

const lb = (id: string, ip: string) => ({ [id]: ip });
const outputsOf = (ids: [string, string]) => ({
  load_balancers: ids,
  load_balancer_ips: { ...lb(ids[0], '127.0.0.1'), ...lb(ids[1], '127.0.0.2') },
  url: 'https://shop.example.com',
});

async function failure(promise: Promise<unknown>): Promise<TideError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TideError);
  return error as TideError;
}

forEachDialect('environment switch', (harness) => {
  let clock: ManualClock;
  let service: EnvironmentService;
  let ids: number;

  beforeEach(async () => {
    clock = new ManualClock(NOW);
    ids = 0;
    service = new EnvironmentService({
      db: harness.db,
      clock,
      config: () => config,
      baseEnv,
      newId: () => `switch-${++ids}`,
    });
    first.status = 200;
    second.status = 200;
    first.seen.length = 0;
    second.seen.length = 0;
    rmSync(action.log, { force: true });
    rmSync(action.statusFile, { force: true });
    await markDeployed(harness.db, 'blue', outputsOf(['lb-b1', 'lb-b2']), clock.now());
    await markDeployed(harness.db, 'green', outputsOf(['lb-g1', 'lb-g2']), clock.now());
    await markDeployed(harness.db, 'red', outputsOf(['lb-r1', 'fail-r2']), clock.now());
  });

  it('lists environments of both layouts with the assignment from their files until a switch', async () => {
    const list = await service.list();
    expect(list.map((e) => [e.name, e.layout, e.assigned_workspace, e.assignment_source])).toEqual([
      ['db', 'provisioner', 'cold', 'file'],
      ['edge', 'environments', null, 'none'],
      ['prod', 'environments', 'blue', 'file'],
    ]);
    expect(list.map((e) => e.verify)).toEqual([true, false, true]);
    expect(list[0]!.action).toEqual({
      command: [
        'doctl',
        'compute',
        'reserved-ip-action',
        'assign',
        '{reserved_ip}',
        '--resource',
        '{resource}',
        '--wait',
      ],
      timeout: '1m',
      implicit: true,
    });
  });

  it('switches when every address passes its health check: one action per reserved IP, assignment recorded', async () => {
    const view = await service.switch('prod', 'green', 'alice');
    expect(view).toMatchObject({
      result: 'switched',
      from_workspace: 'blue',
      to_workspace: 'green',
      actor: 'alice',
    });
    expect(view.checks.map((c) => [c.address, c.ok])).toEqual([
      ['127.0.0.1', true],
      ['127.0.0.2', true],
    ]);
    expect(view.checks[0]!.detail).toBe(`GET http://127.0.0.1:${first.port}/health → 200`);
    // Checked before the actions, and again after them (verify).
    expect([...first.seen, ...second.seen]).toEqual([
      '127.0.0.1 /health',
      '127.0.0.1 /health',
      '127.0.0.2 /health',
      '127.0.0.2 /health',
    ]);
    expect(view.verification.map((c) => [c.address, c.ok])).toEqual([
      ['127.0.0.1', true],
      ['127.0.0.2', true],
    ]);
    // The server's TIDE_* variables never reach the action: it runs in the allowlisted environment.
    expect(action.calls()).toEqual([
      '198.51.100.1 lb-g1 127.0.0.1 green secret=unset',
      '198.51.100.2 lb-g2 127.0.0.2 green secret=unset',
    ]);
    expect(view.actions.map((a) => a.output.trim())).toEqual([
      'assigned 198.51.100.1 to lb-g1',
      'assigned 198.51.100.2 to lb-g2',
    ]);
    const status = await service.get('prod');
    expect(status).toMatchObject({
      assigned_workspace: 'green',
      assignment_source: 'database',
      assigned_by: 'alice',
      switching_to: null,
    });
    expect(status.switches.map((s) => [s.id, s.result])).toEqual([['switch-1', 'switched']]);
    expect(status.switches[0]!.actions).toHaveLength(2);
  });

  it('does nothing when the workspace is already assigned', async () => {
    const view = await service.switch('prod', 'blue', 'alice');
    expect(view).toMatchObject({ result: 'unchanged', reason: 'already assigned to "blue"' });
    expect(action.calls()).toEqual([]);
    expect(first.seen).toEqual([]);
  });

  it('refuses when one address fails its health check, and runs no action', async () => {
    second.status = 503;
    const error = await failure(service.switch('prod', 'green', 'alice'));
    expect(error.code).toBe('health_check_failed');
    expect(error.message).toBe(
      `switch of environment "prod" to "green" refused: health check failed on 1 of 2 address(es): GET http://127.0.0.2:${first.port}/health → 503 (not 2xx); nothing was changed`,
    );
    const recorded = (error.details as { switch: SwitchView }).switch;
    expect(recorded.checks.map((c) => c.ok)).toEqual([true, false]);
    expect(recorded.actions).toEqual([]);
    expect(action.calls()).toEqual([]);
    const status = await service.get('prod');
    // Still the file's assignment: a refused first switch records none (an edit of the file still counts).
    expect(status).toMatchObject({
      assigned_workspace: 'blue',
      assignment_source: 'file',
      switching_to: null,
    });
    expect(status.switches[0]).toMatchObject({ result: 'refused', to_workspace: 'green' });
  });

  it('restores the previous assignment by running the action for it when an action fails', async () => {
    const error = await failure(service.switch('prod', 'red', 'alice'));
    expect(error.code).toBe('switch_failed');
    expect(error.message).toContain(
      'switch action failed: ' +
        `${action.script} ${action.log} 198.51.100.2 fail-r2 127.0.0.2 red exited 3 (error: cannot assign to fail-r2)`,
    );
    expect(error.message).toContain('the previous assignment ("blue") was restored');
    expect(action.calls()).toEqual([
      '198.51.100.1 lb-r1 127.0.0.1 red secret=unset',
      '198.51.100.2 fail-r2 127.0.0.2 red secret=unset',
      '198.51.100.1 lb-b1 127.0.0.1 blue secret=unset',
      '198.51.100.2 lb-b2 127.0.0.2 blue secret=unset',
    ]);
    const recorded = (error.details as { switch: SwitchView }).switch;
    expect(recorded.result).toBe('failed');
    expect(recorded.actions.map((a) => [a.ok, a.exit_code])).toEqual([
      [true, 0],
      [false, 3],
    ]);
    expect(recorded.restore).toMatchObject({ workspace: 'blue', ok: true });
    expect(recorded.restore!.actions).toHaveLength(2);
    expect(await service.get('prod')).toMatchObject({ assigned_workspace: 'blue', switching_to: null });
  });

  it('checks the new targets again after the actions, and fails over back to the previous assignment when that check fails', async () => {
    // The action for break-g1 succeeds, and leaves the servers answering 503.
    await markDeployed(harness.db, 'green', outputsOf(['break-g1', 'lb-g2']), clock.now());
    const error = await failure(service.switch('prod', 'green', 'alice'));
    expect(error.code).toBe('switch_failed');
    expect(error.message).toBe(
      'switch of environment "prod" to "green" failed: health check after the switch failed on 2 of 2 address(es): ' +
        `GET http://127.0.0.1:${first.port}/health → 503 (not 2xx); GET http://127.0.0.2:${first.port}/health → 503 (not 2xx); ` +
        'the previous assignment ("blue") was restored',
    );
    expect(action.calls()).toEqual([
      '198.51.100.1 break-g1 127.0.0.1 green secret=unset',
      '198.51.100.2 lb-g2 127.0.0.2 green secret=unset',
      '198.51.100.1 lb-b1 127.0.0.1 blue secret=unset',
      '198.51.100.2 lb-b2 127.0.0.2 blue secret=unset',
    ]);
    const recorded = (error.details as { switch: SwitchView }).switch;
    expect(recorded).toMatchObject({ result: 'failed', from_workspace: 'blue', to_workspace: 'green' });
    expect(recorded.checks.map((c) => c.ok)).toEqual([true, true]);
    expect(recorded.actions.map((a) => a.ok)).toEqual([true, true]);
    expect(recorded.verification.map((c) => c.ok)).toEqual([false, false]);
    expect(recorded.restore).toMatchObject({ workspace: 'blue', ok: true });
    const status = await service.get('prod');
    expect(status).toMatchObject({ assigned_workspace: 'blue', switching_to: null });
    expect(status.switches[0]).toMatchObject({ result: 'failed', verification: recorded.verification });
  });

  it('does not check again after the switch with verify: false', async () => {
    await markDeployed(
      harness.db,
      'green',
      { load_balancers: ['break-e1'], load_balancer_ips: { 'break-e1': '127.0.0.1' } },
      clock.now(),
    );
    const view = await service.switch('edge', 'green', 'alice');
    expect(view).toMatchObject({ result: 'switched', from_workspace: null, verification: [] });
    expect(action.calls()).toEqual(['198.51.100.9 break-e1 secret=unset']);
    expect(first.seen).toEqual(['127.0.0.1 /health']);
    expect(await service.get('edge')).toMatchObject({ assigned_workspace: 'green', verify: false });
  });

  it('says when the restore fails too', async () => {
    await service.switch('prod', 'green', 'alice');
    // green's outputs now name a target the action fails for: its restore fails as well.
    await markDeployed(harness.db, 'green', outputsOf(['fail-g1', 'lb-g2']), clock.now());
    rmSync(action.log, { force: true });
    const error = await failure(service.switch('prod', 'red', 'bob'));
    expect(error.message).toMatch(
      /restoring the previous assignment \("green"\) failed too: .*fail-g1.* \(error: cannot assign to fail-g1\); check the reserved IPs by hand$/,
    );
    expect(await service.get('prod')).toMatchObject({ assigned_workspace: 'green' });
  });

  it('refuses a target that is not deployed or whose outputs name no targets', async () => {
    const notDeployed = await failure(service.switch('prod', 'cold', 'alice'));
    expect(notDeployed).toMatchObject({
      code: 'conflict',
      message:
        'cannot switch environment "prod" to "cold": the workspace is destroyed, not deployed; deploy it first',
    });
    await markDeployed(harness.db, 'cold', { url: 'x', load_balancer_ips: {} }, clock.now());
    const noOutput = await failure(service.switch('prod', 'cold', 'alice'));
    expect(noOutput.message).toBe(
      'cannot switch environment "prod": workspace "cold" has no output "load_balancers" (its outputs: load_balancer_ips, url); declare it as a string or a list of strings',
    );
    await markDeployed(harness.db, 'cold', { load_balancers: '(sensitive)' }, clock.now());
    expect((await failure(service.switch('prod', 'cold', 'alice'))).message).toContain('is sensitive');
    await markDeployed(harness.db, 'cold', { load_balancers: ['127.0.0.1'] }, clock.now());
    expect((await failure(service.switch('prod', 'cold', 'alice'))).message).toContain(
      'has 1 target(s) for 2 reserved IPs',
    );
    expect((await failure(service.switch('nope', 'green', 'alice'))).code).toBe('not_found');
    expect((await failure(service.switch('prod', 'nope', 'alice'))).code).toBe('not_found');
    expect(action.calls()).toEqual([]);
  });

  it("switches a Provisioner file with the Provisioner's doctl command after a tcp check", async () => {
    await markDeployed(harness.db, 'cache', { load_balancers: '127.0.0.1' }, clock.now());
    const view = await service.switch('db', 'cache', 'alice');
    expect(view.checks).toEqual([
      { address: '127.0.0.1', ok: true, detail: `tcp 127.0.0.1:${tcp.port} → connected` },
    ]);
    expect(action.calls()).toEqual([
      'doctl compute reserved-ip-action assign 203.0.113.5 --resource 127.0.0.1 --wait secret=unset',
    ]);
    expect(view.actions[0]!.output.trim()).toBe('Reserved IP assigned');
    // A tcp check against an address where nothing listens refuses the switch back.
    await markDeployed(harness.db, 'cold', { load_balancers: ['127.0.0.3'] }, clock.now());
    const refused = await failure(service.switch('db', 'cold', 'alice'));
    expect(refused.code).toBe('health_check_failed');
    expect(refused.message).toContain(`tcp 127.0.0.3:${tcp.port} → ECONNREFUSED`);
  });

  it('refuses a second switch while one is in progress, and takes over a stale one', async () => {
    await harness.db
      .insertInto('environment_assignments')
      .values({
        environment: 'prod',
        workspace: 'blue',
        assigned_at: null,
        assigned_by: null,
        switch_id: 'other',
        switching_to: 'red',
        switch_started_at: NOW,
      })
      .execute();
    const busy = await failure(service.switch('prod', 'green', 'alice'));
    expect(busy.message).toBe(
      `environment "prod" is being switched to "red" (since ${NOW}); try again when it is done`,
    );
    clock.advance(60 * 60_000);
    expect((await service.switch('prod', 'green', 'alice')).result).toBe('switched');
  });

  it('runs one switch of an environment at a time; its target is protected while it runs', async () => {
    let open = (): void => undefined;
    first.gate = new Promise<void>((resolve) => (open = resolve));
    const arrived = first.nextRequest();
    const switching = service.switch('prod', 'green', 'alice');
    await arrived;
    // The first switch holds the environment while its health check waits.
    expect(await service.get('prod')).toMatchObject({ assigned_workspace: 'blue', switching_to: 'green' });
    const second = await failure(service.switch('prod', 'red', 'bob'));
    expect(second).toMatchObject({ code: 'conflict' });
    expect(second.message).toMatch(/^environment "prod" is being switched to "green"/);
    expect(await environmentHolding(harness.db, config.snapshot, 'green')).toMatchObject({
      environment: 'prod',
    });
    open();
    first.gate = null;
    expect((await switching).result).toBe('switched');
    expect(await service.get('prod')).toMatchObject({ assigned_workspace: 'green', switching_to: null });
  });

  it('protects the assigned workspace from destroy: manual refused, scheduled skipped, window kept', async () => {
    const workspaces = new WorkspaceService({
      db: harness.db,
      clock,
      hub: new EventHub(),
      config: () => config,
      runs: new RunService({ db: harness.db, hub: new EventHub(), clock }),
    });
    // Before any switch, the file's assigned_workspace holds.
    expect(await environmentHolding(harness.db, config.snapshot, 'blue')).toEqual({
      environment: 'prod',
      file: 'environments/prod.json',
    });
    const refused = await failure(workspaces.requestRun('blue', 'destroy'));
    expect(refused).toMatchObject({
      code: 'conflict',
      message:
        'cannot destroy: environment: workspace "blue" is assigned to environment "prod"; switch the environment to another workspace first',
      details: { workspace: 'blue', environment: 'prod' },
    });
    const unit = scheduleUnits(config).find((u) => u.scope === 'blue')!;
    const observed = await observeUnit(harness.db, unit, config.snapshot);
    const due = unit.firings(new Date(NOW), new Date('2027-03-15T20:00:00Z'));
    const [decision] = decideFirings({
      definition: unit.policyHolder,
      enabled: true,
      observed,
      due,
      now: new Date('2027-03-15T19:00:00Z'),
      startedAt: new Date(NOW),
    });
    expect(decision).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringMatching(/^environment: workspace "blue" is assigned to environment "prod"/),
    });
    // An uptime window that closed at 12:00: the heal would destroy blue, but not while it is assigned.
    const windowed = {
      ...unit.workspace!,
      uptime: [{ key: 'uptime[0]', days: '*', from: '11:00', to: '12:00' }],
    };
    const evening = new Date('2027-03-15T19:00:00Z');
    expect(reconcileWindow(windowed, new Map(), { ...observed, environment: null }, evening)).toMatchObject({
      action: 'destroy',
    });
    expect(reconcileWindow(windowed, new Map(), observed, evening)).toBeNull();

    await service.switch('prod', 'green', 'alice');
    expect(await environmentHolding(harness.db, config.snapshot, 'blue')).toBeNull();
    expect((await workspaces.requestRun('blue', 'destroy')).action).toBe('destroy');
    expect((await failure(workspaces.requestRun('green', 'destroy'))).message).toContain(
      'environment "prod"',
    );
  });
});
