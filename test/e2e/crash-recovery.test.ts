import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeConfigDir } from '../helpers/config-dir.ts';
import type { ApiBody } from '../helpers/daemon-harness.ts';
import { freePort, loginAsInitialAdmin, TIDE_BIN, waitFor } from '../helpers/serve-process.ts';

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
    child = spawn(process.execPath, [TIDE_BIN, 'serve', '--config-dir', config.dir, '--data-dir', dataDir], {
      env: { ...process.env, TIDE_PORT: String(port), TIDE_RUN_LEASE_DURATION: '3s', TIDE_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    await waitFor('readiness', async () => (await fetch(`${url}/api/health/ready`)).ok);
    // As an operator would: the first start wrote the admin's password; the session outlives restarts.
    token ||= await loginAsInitialAdmin(url, dataDir);
  };
  const api = async (route: string, init?: RequestInit): Promise<ApiBody> =>
    (await fetch(`${url}/api/v1${route}`, { ...init, headers: { authorization: `Bearer ${token}` } })).json();

  afterAll(() => {
    child?.kill('SIGKILL');
    config.cleanup();
    rmSync(effects, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('marks the interrupted run orphaned, retries it to deployed, and neither loses nor doubles a firing', async () => {
    await serve();
    const { id } = await api('/workspaces/slow/deploy', { method: 'POST' });
    await waitFor('the apply step', async () => {
      const logs = await api(`/runs/${id}/logs`);
      return logs.items.some((chunk: { content: string }) => chunk.content.includes('==> apply'));
    });
    child!.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));
    writeFileSync(path.join(effects, 'sleep'), '0');

    await serve();
    const orphaned = await waitFor('the orphaned run', async () => {
      const run = await api(`/runs/${id}`);
      return run.state === 'failed' ? run : undefined;
    });
    expect(orphaned.reason).toBe('orphaned');

    // An orphaned deploy is retried (its engine died with the server, and its state is in the database).
    const retry = await waitFor(
      'the retry deployed',
      async () => {
        const { items } = await api('/runs?workspace=slow&trigger=retry');
        return items.find((run: ApiBody) => run.state === 'succeeded');
      },
      90_000,
    );
    expect(retry).toMatchObject({ attempt: 2, action: 'deploy' });
    expect((await api('/workspaces/slow')).status).toBe('deployed');

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
