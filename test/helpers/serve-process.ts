/**
 * For tests that need a real `tide serve` process (or any real process): the executable, a free port,
 * waiting on a condition instead of a clock, whether a process is gone, and logging in as the first admin.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';

export const TIDE_BIN = path.resolve(import.meta.dirname, '../../bin/tide.js');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `check` until it returns something truthy (a throw counts as not yet) and returns it. The
 * backstop only turns a hang into a failure naming `what`; nothing here depends on the machine's speed.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  backstopMs = 60_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + backstopMs;
  for (;;) {
    const value = await Promise.resolve()
      .then(check)
      .catch(() => undefined);
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** False once no process (zombies included) has this pid, or with a negative pid, this group id. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** As an operator would after a first start: the password `tide serve` wrote to its data directory. */
export async function loginAsInitialAdmin(url: string, dataDir: string): Promise<string> {
  const password = readFileSync(path.join(dataDir, 'initial-admin-password'), 'utf8').trim();
  const response = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

export interface ServedTide {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
}

/**
 * `tide serve` as users run it (the compiled bin/tide.js) on `configDir` and `dataDir`, on a free port,
 * resolved once `/api/health/ready` answers 200. Its stderr goes to the test's, for failures to show.
 */
export async function startServe(configDir: string, dataDir: string): Promise<ServedTide> {
  const port = await freePort();
  const serve = spawn(
    process.execPath,
    [TIDE_BIN, 'serve', '--config-dir', configDir, '--data-dir', dataDir],
    {
      env: { ...process.env, TIDE_PORT: String(port), TIDE_HOST: '127.0.0.1', TIDE_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (serve.exitCode !== null || serve.signalCode !== null) return;
    const exited = once(serve, 'exit');
    serve.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor('tide serve to answer', async () => (await fetch(`${url}/api/health/ready`)).ok);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
