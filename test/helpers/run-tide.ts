import { spawnSync } from 'node:child_process';
import path from 'node:path';

const bin = path.resolve(import.meta.dirname, '../../bin/tide.js');
const HANG_BACKSTOP_MS = 300_000;

/**
 * Runs the real `tide` executable (the compiled dist/), as a user would, and waits for it to exit.
 * Commands are better run in-process (run-cli.ts): this blocks the test's event loop meanwhile, so
 * vitest's own time limit cannot stop a process that never exits; HANG_BACKSTOP_MS does. It is far above
 * any real run on a slow machine: no result depends on it.
 */
export function runTide(
  args: string[],
  env: Record<string, string> = {},
): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { ...process.env, TIDE_CONFIG_DIR: '', TIDE_TIMEZONE: '', ...env },
    timeout: HANG_BACKSTOP_MS,
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}
