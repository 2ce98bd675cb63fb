/**
 * No engine process outlives its Tide process: a real `tide serve` is killed with SIGKILL while a real
 * engine runs a silent, long `local-exec` provisioner, and the provisioner and its engine must end without
 * finishing their work. Nothing here waits on time: it polls for the process to be gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeConfigDir } from '../helpers/config-dir.ts';
import { freePort, loginAsInitialAdmin, processExists, TIDE_BIN, waitFor } from '../helpers/serve-process.ts';

/** The process group of a live process, from /proc (Linux). */
function groupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, pgrp.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

describe('tide serve killed with SIGKILL during a silent, long provisioner (real process, real engine)', () => {
  const effects = mkdtempSync(path.join(tmpdir(), 'tide-orphan-'));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-orphan-data-'));
  const pidFile = path.join(effects, 'provisioner.pid');
  const marker = path.join(effects, 'finished');
  const config = makeConfigDir({
    'workspaces/silent/config.json': { enabled: true },
    // Writes its pid (atomically, so the test never reads half of it), then says nothing for two minutes.
    'workspaces/silent/main.tf': `
resource "terraform_data" "silent" {
  provisioner "local-exec" {
    command = "echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile} && sleep 120 && touch ${marker}"
  }
}`,
  });
  let child: ChildProcess | null = null;

  afterAll(() => {
    child?.kill('SIGKILL');
    config.cleanup();
    rmSync(effects, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ends the engine and its provisioner, which never finishes its work', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [TIDE_BIN, 'serve', '--config-dir', config.dir, '--data-dir', dataDir], {
      env: { ...process.env, TIDE_PORT: String(port), TIDE_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    await waitFor('readiness', async () => (await fetch(`${url}/api/health/ready`)).ok);
    const token = await loginAsInitialAdmin(url, dataDir);
    const deploy = await fetch(`${url}/api/v1/workspaces/silent/deploy`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(deploy.status).toBe(202);

    await waitFor('the provisioner to write its pid', () => existsSync(pidFile), 120_000);
    const provisioner = Number(readFileSync(pidFile, 'utf8'));
    // The engine's group: the engine itself and every provisioner it started.
    const engineGroup = groupOf(provisioner);
    expect(processExists(-engineGroup)).toBe(true);

    child.kill('SIGKILL');
    await waitFor('the provisioner to be gone', () => !processExists(provisioner));
    await waitFor('the engine group to be gone', () => !processExists(-engineGroup));

    expect(existsSync(marker)).toBe(false);
  }, 240_000);
});
