import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processExists, waitFor } from '../../test/helpers/serve-process.ts';
import { watchGroup } from './group-watchdog.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tide-watchdog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const processGroupModule = path.resolve(import.meta.dirname, 'process-group.ts');

/** Whether `parent` has started a `tide-watchdog` shell (Linux /proc). */
function watchdogStarted(parent: number): boolean {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .some((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return ppid === parent && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tide-watchdog');
      } catch {
        return false;
      }
    });
}

describe('group watchdog', () => {
  it('says why when it cannot start, so the run log shows the step is unprotected', async () => {
    const reason = await new Promise<string>((resolve) => {
      // A group id no process can have (above Linux's pid_max), should the shell start after all.
      watchGroup(4_194_305, resolve, path.join(dir, 'no-such-shell'));
    });
    expect(reason).toContain('ENOENT');
  });

  it('ends a running process group when the process that started it dies of SIGKILL', async () => {
    const pidFile = path.join(dir, 'step.pid');
    const marker = path.join(dir, 'marker');
    // A stand-in for `tide serve`: a real Node process that runs a silent, long step and never stops it.
    const script = `
      import { runProcess } from ${JSON.stringify(processGroupModule)};
      await runProcess({
        command: '/bin/sh',
        args: ['-c', 'echo $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}; sleep 30; touch ${marker}'],
        cwd: ${JSON.stringify(dir)},
        env: { PATH: process.env.PATH },
        onLine: () => undefined,
      });`;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: 'ignore',
    });
    await waitFor('the step to write its pid', () => existsSync(pidFile));
    const stepPid = Number(readFileSync(pidFile, 'utf8'));
    expect(processExists(stepPid)).toBe(true);
    // The step starts a moment before its watchdog: a kill in between, which only a loaded machine makes
    // likely, is not what this test is about.
    await waitFor('the watchdog to start', () => watchdogStarted(parent.pid!));

    parent.kill('SIGKILL');
    await waitFor('the step to be gone', () => !processExists(stepPid));

    expect(existsSync(marker)).toBe(false);
  }, 60_000);
});
