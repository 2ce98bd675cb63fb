import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeConfigDir } from '../helpers/config-dir.ts';
import type { ApiBody } from '../helpers/daemon-harness.ts';

const bin = path.resolve(import.meta.dirname, '../../bin/tide.js');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function poll<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('recovery after tide serve is killed with SIGKILL during an apply (real process, real engine, real clock)', () => {
  const effects = mkdtempSync(path.join(tmpdir(), 'tide-crash-'));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-crash-data-'));
  writeFileSync(path.join(effects, 'sleep'), '6');
  const config = makeConfigDir({
    'workspaces/slow/config.json': {
      enabled: true,
      policy: { retries: 5, backoff: { base: '1s', max: '2s' } },
    },
    'workspaces/slow/main.tf': `
resource "terraform_data" "slow" {
  provisioner "local-exec" {
    command = "sleep $(cat ${effects}/sleep) && touch ${effects}/slow.up"
  }
}`,
    // Fires every 2 seconds, so the ledger shows whether any occurrence was lost or doubled.
    'workspaces/tick/config.json': { enabled: true, deploy_schedule: '*/2 * * * * *' },
    'workspaces/tick/main.tf': 'resource "terraform_data" "tick" {}\n',
  });
  let child: ChildProcess | null = null;
  let url = '';
  let token = '';

  const serve = async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [bin, 'serve', '--config-dir', config.dir, '--data-dir', dataDir], {
      env: { ...process.env, TIDE_PORT: String(port), TIDE_RUN_LEASE_DURATION: '3s', TIDE_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    await poll('readiness', async () => (await fetch(`${url}/api/health/ready`)).ok);
    // As an operator would: the first start wrote the admin's password; the session outlives restarts.
    token ||= await login();
  };
  const login = async (): Promise<string> => {
    const password = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
    const response = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  };
  const api = async (route: string, init?: RequestInit): Promise<ApiBody> =>
    (await fetch(`${url}/api/v1${route}`, { ...init, headers: { authorization: `Bearer ${token}` } })).json();

  afterAll(() => {
    child?.kill('SIGKILL');
    config.cleanup();
    rmSync(effects, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('marks the interrupted run orphaned, deploys the workspace again, and neither loses nor doubles a firing', async () => {
    await serve();
    const { id } = await api('/workspaces/slow/deploy', { method: 'POST' });
    await poll('the apply step', async () => {
      const logs = await api(`/runs/${id}/logs`);
      return logs.items.some((chunk: { content: string }) => chunk.content.includes('==> apply'));
    });
    child!.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    writeFileSync(path.join(effects, 'sleep'), '0');

    await serve();
    const orphaned = await poll('the orphaned run', async () => {
      const run = await api(`/runs/${id}`);
      return run.state === 'failed' ? run : undefined;
    });
    expect(orphaned.reason).toBe('orphaned');

    // The engine process the dead server started may still hold the state lock: the retry policy covers it.
    await api('/workspaces/slow/deploy', { method: 'POST' });
    await poll(
      'slow deployed again',
      async () => (await api('/workspaces/slow')).status === 'deployed',
      90_000,
    );

    const firings = (await api('/workspaces/tick/firings?limit=500')).items as {
      scheduled_at: string;
      outcome: string;
    }[];
    const instants = firings.map((f) => Date.parse(f.scheduled_at)).sort((a, b) => a - b);
    expect(new Set(instants).size).toBe(instants.length);
    for (let i = 1; i < instants.length; i++) expect(instants[i]! - instants[i - 1]!).toBe(2000);
    expect(firings.some((f) => f.outcome === 'fired')).toBe(true);
  }, 180_000);
});
