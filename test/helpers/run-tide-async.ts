import { spawn } from 'node:child_process';
import path from 'node:path';

const bin = path.resolve(import.meta.dirname, '../../bin/tide.js');

/**
 * Runs the real `tide` executable without blocking the event loop, so a server in the test's own process
 * (an API under test) can answer it. stdin is a pipe, never a terminal; `input` is written to it.
 */
export function runTideAsync(
  args: string[],
  env: Readonly<Record<string, string>> = {},
  input = '',
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, TIDE_CONFIG_DIR: '', TIDE_TIMEZONE: '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.stdin.end(input);
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}
