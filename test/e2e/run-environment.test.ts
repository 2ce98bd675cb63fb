/**
 * What a run's processes see, with the real engine: a job and an engine provisioner dump their whole
 * environment while the server's own process holds Tide's secrets, and the variables file carries only
 * what the code declares.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { daemonHarness, type DaemonHarness } from '../helpers/daemon-harness.ts';

/** Set in the server's process.env for the test, as an operator's deployment would. */
const serverSecrets = {
  TIDE_JWT_SECRET: `jwt-${randomUUID()}`,
  TIDE_ENCRYPTION_KEY: `key-${randomUUID()}`,
  TIDE_DATABASE_URL: `postgres://tide:pw-${randomUUID()}@db.invalid:5432/tide`,
};
const passed = { E2E_CLOUD_TOKEN: `cloud-${randomUUID()}` };
const kept = { E2E_UNLISTED: `unlisted-${randomUUID()}` };
/** What a run is told about itself: its own TIDE_* variables, set by Tide, not taken from the server. */
const runOwn = new Set(['TIDE_ENGINE', 'TIDE_RUN_ID', 'TIDE_WORKSPACE', 'TIDE_MODE', 'TIDE_JOB']);
const isRunOwn = (name: string): boolean => runOwn.has(name) || name.startsWith('TIDE_OUTPUT_');

const saved = new Map<string, string | undefined>();
beforeEach(() => {
  for (const [name, value] of Object.entries({ ...serverSecrets, ...passed, ...kept })) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
});
const harnesses: DaemonHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/** Declares `workspace` but not `mode`; a provisioner writes its environment to `env.provisioner`. */
function dumpTf(dir: string): string {
  return `
# variable "mode" {} — a comment, not a declaration
variable "workspace" { type = string }
resource "terraform_data" "dump" {
  input = var.workspace
  provisioner "local-exec" {
    command = "env > ${dir}/env.provisioner"
  }
}
output "workspace" { value = var.workspace }
`;
}

async function start(): Promise<DaemonHarness> {
  const h = await daemonHarness({}, '2027-06-01T10:00:00Z', { runEnvPassthrough: ['E2E_CLOUD_*'] });
  harnesses.push(h);
  h.write('workspaces/web/main.tf', dumpTf(h.sideEffects));
  h.write('workspaces/web/config.json', {
    enabled: true,
    variables: { size: 3 },
    jobs: [{ name: 'dump', type: 'command', command: `env > ${h.sideEffects}/env.job`, enabled: true }],
  });
  await h.restart();
  return h;
}

/** `NAME=value` lines of `env`; a value spanning lines only adds lines that are not names. */
function readEnvDump(file: string): { text: string; names: string[] } {
  const text = readFileSync(file, 'utf8');
  return { text, names: [...text.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((match) => match[1]!) };
}

async function runLog(h: DaemonHarness, runId: string): Promise<string> {
  const page = await h.api('GET', `/api/v1/runs/${runId}/logs?limit=500`);
  expect(page.body.next_cursor).toBeNull();
  return page.body.items.map((chunk: { content: string }) => chunk.content).join('\n');
}

describe('the environment of a run', () => {
  it('gives a job and a provisioner PATH and the passthrough variables, but none of the server’s TIDE_* secrets', async () => {
    const h = await start();
    const deploy = await h.api('POST', '/api/v1/workspaces/web/deploy', {});
    expect(deploy.status).toBe(202);
    expect(await h.finished(deploy.body.id)).toMatchObject({ state: 'succeeded' });
    const job = await h.daemon.runs.enqueue({ workspace: 'web', job: 'dump', action: 'job', trigger: 'api' });
    expect(await h.finished(job.id)).toMatchObject({ state: 'succeeded' });

    for (const file of ['env.provisioner', 'env.job']) {
      const dump = readEnvDump(path.join(h.sideEffects, file));
      for (const value of [...Object.values(serverSecrets), ...Object.values(kept)]) {
        expect(dump.text, file).not.toContain(value);
      }
      expect(
        dump.names.filter((name) => name.startsWith('TIDE_') && !isRunOwn(name)),
        file,
      ).toEqual([]);
      expect(dump.names, file).toContain('PATH');
      expect(dump.text, file).toContain(`E2E_CLOUD_TOKEN=${passed.E2E_CLOUD_TOKEN}\n`);
    }
    // The run's own variables still arrive: the context workspace's outputs.
    expect(readEnvDump(path.join(h.sideEffects, 'env.job')).text).toContain('TIDE_OUTPUT_WORKSPACE=web\n');
  }, 120_000);

  it('passes only the variables the code declares: no undeclared-variable warning, and `workspace` arrives', async () => {
    const h = await start();
    const deploy = await h.api('POST', '/api/v1/workspaces/web/deploy', {});
    const run = await h.finished(deploy.body.id);
    expect(run).toMatchObject({ state: 'succeeded', outputs: { workspace: 'web' } });
    const log = await runLog(h, run.id);
    expect(log).not.toMatch(/undeclared variable/i);
    expect(log).toContain('the code declares no such variable: size');
  }, 120_000);
});
