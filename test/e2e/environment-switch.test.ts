/**
 * An environment switch end to end, with the real engine: two workspaces deployed by Tide whose outputs
 * name their load balancer, a Provisioner environment file loaded unchanged (so the switch runs the
 * Provisioner's `doctl` command: here a recording stand-in on PATH), a real HTTP server as the health
 * check's target. The switch passes its check; a failing check refuses the next one; a failing action is
 * restored; the assigned workspace cannot be destroyed; a check failing after the switch fails it over
 * back.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHealthServer, type HealthServer } from '../../src/environment/test-environment.ts';
import { daemonHarness, type DaemonHarness } from '../helpers/daemon-harness.ts';

const lbTf = `
variable "workspace" { type = string }
resource "terraform_data" "lb" { input = var.workspace }
output "load_balancers" { value = ["lb-\${var.workspace}"] }
output "load_balancer_ips" { value = { "lb-\${var.workspace}" = "127.0.0.1" } }
`;

// The template of a switch action: terraform_data + local-exec, replaced whenever the targets change.
const assignTf = `
variable "environment" { type = string }
variable "workspace" { type = string }
variable "reserved_ips" { type = list(string) }
variable "targets" { type = list(string) }
variable "record" { type = string }
variable "fail_for" { type = string }
resource "terraform_data" "assign" {
  triggers_replace = [var.workspace, var.targets]
  provisioner "local-exec" {
    command = "echo '\${var.environment} \${var.workspace} \${join(",", var.reserved_ips)} \${join(",", var.targets)}' >> \${var.record} && test '\${var.workspace}' != '\${var.fail_for}'"
  }
}
`;

let health: HealthServer;
let bin: string;
let h: DaemonHarness;
const savedPath = process.env.PATH;

const doctlCalls = (): string[] => {
  const log = path.join(bin, 'calls.log');
  return existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n') : [];
};

beforeAll(async () => {
  bin = mkdtempSync(path.join(tmpdir(), 'tide-doctl-'));
  // The server answers with the status in ./health-status while that file exists.
  health = await startHealthServer('127.0.0.1', 0, { statusFile: path.join(bin, 'health-status') });
  // `doctl compute reserved-ip-action assign <ip> --resource <id> --wait`: records, fails for the
  // resource named in ./fail if that file exists, and for the one named in ./break succeeds but makes
  // the health server answer 503 (the new deployment is broken once traffic reaches it).
  writeFileSync(
    path.join(bin, 'doctl'),
    [
      '#!/bin/sh',
      `echo "doctl $*" >> '${bin}/calls.log'`,
      `if [ -f '${bin}/fail' ] && [ "$6" = "$(cat '${bin}/fail')" ]; then echo "Error: POST failed: 422 unprocessable" >&2; exit 1; fi`,
      `if [ -f '${bin}/break' ] && [ "$6" = "$(cat '${bin}/break')" ]; then echo 503 > '${bin}/health-status'; fi`,
      'echo "Reserved IP $4 assigned to $6"',
      '',
    ].join('\n'),
  );
  chmodSync(path.join(bin, 'doctl'), 0o755);
  process.env.PATH = `${bin}:${savedPath ?? ''}`;
  h = await daemonHarness(
    {
      'workspaces/blue/main.tf': lbTf,
      'workspaces/blue/config.json': { enabled: true },
      'workspaces/green/main.tf': lbTf,
      'workspaces/green/config.json': { enabled: true },
      'workspaces/red/main.tf': lbTf,
      'workspaces/red/config.json': { enabled: true },
      // A template switch action: records what it was given, fails for the workspace named in fail_for.
      'templates/assign/main.tf': assignTf,
      'environments/web.json': {
        domain: 'web.example.com',
        reserved_ips: ['198.51.100.20'],
        assigned_workspace: 'green',
        healthcheck: { type: 'http', path: '/health', port: health.port, timeout: '10s' },
        action: {
          template: 'assign',
          variables: { record: path.join(bin, 'assign.log'), fail_for: 'red', unused: 1 },
          timeout: '2m',
        },
      },
      'production.json': {
        domain: 'app.example.com',
        reserved_ips: ['203.0.113.10'],
        assigned_workspace: 'blue',
        healthcheck: { type: 'http', path: '/health', port: health.port, timeout: '10s' },
      },
    },
    '2027-06-01T10:00:00Z',
  );
}, 60_000);

afterAll(async () => {
  process.env.PATH = savedPath;
  await h.cleanup();
  await health.close();
  rmSync(bin, { recursive: true, force: true });
});

it('switches between workspaces deployed by the engine, refuses on a failed check, restores on a failed action', async () => {
  for (const workspace of ['blue', 'green']) {
    const deploy = await h.api('POST', `/api/v1/workspaces/${workspace}/deploy`, {});
    expect(await h.finished(deploy.body.id)).toMatchObject({
      state: 'succeeded',
      outputs: { load_balancers: [`lb-${workspace}`] },
    });
  }
  expect((await h.api('GET', '/api/v1/environments/production')).body).toMatchObject({
    layout: 'provisioner',
    assigned_workspace: 'blue',
    assignment_source: 'file',
    action: { implicit: true },
  });
  // The file's assignment already protects blue.
  expect((await h.api('POST', '/api/v1/workspaces/blue/destroy')).status).toBe(409);

  const switched = await h.api('POST', '/api/v1/environments/production/switch', { workspace: 'green' });
  expect(switched.status).toBe(200);
  expect(switched.body).toMatchObject({
    result: 'switched',
    from_workspace: 'blue',
    targets: [{ resource: 'lb-green', server: '127.0.0.1' }],
    checks: [{ ok: true, detail: `GET http://127.0.0.1:${health.port}/health → 200` }],
  });
  expect(doctlCalls()).toEqual([
    'doctl compute reserved-ip-action assign 203.0.113.10 --resource lb-green --wait',
  ]);
  // Checked before the action, and again after it.
  expect(health.seen).toEqual(['127.0.0.1 /health', '127.0.0.1 /health']);
  expect(switched.body.verification).toEqual([
    { address: '127.0.0.1', ok: true, detail: `GET http://127.0.0.1:${health.port}/health → 200` },
  ]);

  health.status = 503;
  const refused = await h.api('POST', '/api/v1/environments/production/switch', { workspace: 'blue' });
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe('health_check_failed');
  expect(doctlCalls()).toHaveLength(1);

  health.status = 200;
  writeFileSync(path.join(bin, 'fail'), 'lb-blue');
  const failed = await h.api('POST', '/api/v1/environments/production/switch', { workspace: 'blue' });
  expect(failed.status).toBe(502);
  expect(failed.body.error.code).toBe('switch_failed');
  expect(failed.body.error.message).toContain('(Error: POST failed: 422 unprocessable)');
  expect(failed.body.error.message).toContain('the previous assignment ("green") was restored');
  expect(doctlCalls().slice(1)).toEqual([
    'doctl compute reserved-ip-action assign 203.0.113.10 --resource lb-blue --wait',
    'doctl compute reserved-ip-action assign 203.0.113.10 --resource lb-green --wait',
  ]);

  const status = (await h.api('GET', '/api/v1/environments/production')).body;
  expect(status).toMatchObject({ assigned_workspace: 'green', assignment_source: 'database' });
  expect(status.switches.map((s: { result: string }) => s.result)).toEqual(['failed', 'refused', 'switched']);

  const refusedDestroy = await h.api('POST', '/api/v1/workspaces/green/destroy');
  expect(refusedDestroy.status).toBe(409);
  expect(refusedDestroy.body.error.message).toContain('assigned to environment "production"');
  const destroy = await h.api('POST', '/api/v1/workspaces/blue/destroy');
  expect(destroy.status).toBe(202);
  expect(await h.finished(destroy.body.id)).toMatchObject({ state: 'succeeded' });
}, 180_000);

it('switch passes its health check against a local server, and fails over back when the check fails', async () => {
  // After the first test: production points at green; blue was destroyed. Deploy blue again.
  rmSync(path.join(bin, 'fail'), { force: true });
  const deploy = await h.api('POST', '/api/v1/workspaces/blue/deploy', {});
  expect(await h.finished(deploy.body.id)).toMatchObject({ state: 'succeeded' });
  const before = doctlCalls().length;
  health.seen.length = 0;

  // Assigning lb-blue breaks the server: the check before the switch passed, the one after it fails.
  writeFileSync(path.join(bin, 'break'), 'lb-blue');
  const failed = await h.api('POST', '/api/v1/environments/production/switch', { workspace: 'blue' });
  expect(failed.status).toBe(502);
  expect(failed.body.error).toMatchObject({ code: 'switch_failed' });
  expect(failed.body.error.message).toBe(
    'switch of environment "production" to "blue" failed: health check after the switch failed on 1 of 1 address(es): ' +
      `GET http://127.0.0.1:${health.port}/health → 503 (not 2xx); the previous assignment ("green") was restored`,
  );
  expect(health.seen).toEqual(['127.0.0.1 /health', '127.0.0.1 /health']);
  // The action for blue ran, then the restore's for green.
  expect(doctlCalls().slice(before)).toEqual([
    'doctl compute reserved-ip-action assign 203.0.113.10 --resource lb-blue --wait',
    'doctl compute reserved-ip-action assign 203.0.113.10 --resource lb-green --wait',
  ]);
  const status = (await h.api('GET', '/api/v1/environments/production')).body;
  expect(status).toMatchObject({ assigned_workspace: 'green', verify: true });
  expect(status.switches[0]).toMatchObject({
    result: 'failed',
    checks: [{ ok: true }],
    actions: [{ ok: true }],
    verification: [{ ok: false }],
    restore: { workspace: 'green', ok: true },
  });

  // Fixed: the same switch passes both checks.
  rmSync(path.join(bin, 'break'));
  rmSync(path.join(bin, 'health-status'));
  const switched = await h.api('POST', '/api/v1/environments/production/switch', { workspace: 'blue' });
  expect(switched.status).toBe(200);
  expect(switched.body).toMatchObject({ result: 'switched', verification: [{ ok: true }] });
  expect((await h.api('GET', '/api/v1/environments/production')).body.assigned_workspace).toBe('blue');
}, 180_000);

it('applies a template as the switch action with the real engine, its state in Tide, and applies it again for the previous targets when it fails', async () => {
  const assigned = (): string[] => {
    const log = path.join(bin, 'assign.log');
    return existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n') : [];
  };
  const before = doctlCalls().length;
  const switched = await h.api('POST', '/api/v1/environments/web/switch', { workspace: 'blue' });
  expect(switched.status).toBe(200);
  expect(switched.body).toMatchObject({
    result: 'switched',
    from_workspace: 'green',
    verification: [{ ok: true }],
  });
  expect(assigned()).toEqual(['web blue 198.51.100.20 lb-blue']);
  // init and apply, each recorded with its output; `unused` is not declared, so not passed.
  expect(
    switched.body.actions.map((a: { argv: string[]; ok: boolean }) => [a.argv.slice(1, 2), a.ok]),
  ).toEqual([
    [['init'], true],
    [['apply'], true],
  ]);
  expect(switched.body.actions[0].output).toContain('state in Tide (_jobs/_environment_/web)');
  expect(switched.body.actions[0].output).toContain('the template declares no such variable: unused');
  expect(switched.body.actions[1].output).toContain('Apply complete! Resources: 1 added');
  const db = h.daemon.store.db;
  const versions = await db
    .selectFrom('state_versions')
    .select('state_key')
    .where('state_key', '=', '_jobs/_environment_/web')
    .execute();
  expect(versions.length).toBeGreaterThan(0);
  // The apply was a run of its own, finished; no doctl ran (the template is the action).
  const runs = await db
    .selectFrom('runs')
    .select(['state', 'job'])
    .where('workspace', '=', '_environment_')
    .execute();
  expect(runs).toEqual([{ state: 'succeeded', job: 'web' }]);
  expect(doctlCalls()).toHaveLength(before);

  const deploy = await h.api('POST', '/api/v1/workspaces/red/deploy', {});
  expect(await h.finished(deploy.body.id)).toMatchObject({ state: 'succeeded' });
  const failed = await h.api('POST', '/api/v1/environments/web/switch', { workspace: 'red' });
  expect(failed.status).toBe(502);
  expect(failed.body.error.code).toBe('switch_failed');
  expect(failed.body.error.message).toMatch(
    /^switch of environment "web" to "red" failed: switch action failed: \S+ apply -input=false -no-color -auto-approve exited 1/,
  );
  expect(failed.body.error.message).toContain('the previous assignment ("blue") was restored');
  // The template ran for red (and failed), then again for blue's targets: the restore.
  expect(assigned()).toEqual([
    'web blue 198.51.100.20 lb-blue',
    'web red 198.51.100.20 lb-red',
    'web blue 198.51.100.20 lb-blue',
  ]);
  const status = (await h.api('GET', '/api/v1/environments/web')).body;
  expect(status).toMatchObject({ assigned_workspace: 'blue', action: { template: 'assign', command: [] } });
  expect(status.switches[0]).toMatchObject({ result: 'failed', restore: { workspace: 'blue', ok: true } });
}, 300_000);
