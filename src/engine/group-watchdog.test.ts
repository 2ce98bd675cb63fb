import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { watchGroup } from './group-watchdog.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'tide-watchdog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const processGroupModule = path.resolve(import.meta.dirname, 'process-group.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Polls until `check` holds; the backstop only turns a hang into a failure. */
async function until(what: string, check: () => boolean, backstopMs = 30_000): Promise<void> {
  const deadline = Date.now() + backstopMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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
    await until('the step to write its pid', () => existsSync(pidFile));
    const stepPid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(stepPid)).toBe(true);

    parent.kill('SIGKILL');
    await until('the step to be gone', () => !alive(stepPid));

    expect(existsSync(marker)).toBe(false);
  }, 60_000);
});
