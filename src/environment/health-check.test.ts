import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentHealthCheck } from '../config/config-model.ts';
import { runEnvironment } from '../engine/run-environment.ts';
import { checkAll, checkOne } from './health-check.ts';
import { runCommand, substitute } from './switch-command.ts';
import { startHealthServer, type HealthServer } from './test-environment.ts';

const env = runEnvironment(process.env);
let http: HealthServer;
/** Accepts connections and never answers: an HTTP check against it can only time out. */
let silent: Server;
let silentPort: number;
const silentSockets = new Set<Socket>();

beforeAll(async () => {
  http = await startHealthServer('127.0.0.1');
  silent = createServer((socket) => {
    silentSockets.add(socket);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
  silentPort = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  await http.close();
  for (const socket of silentSockets) socket.destroy();
  await new Promise<void>((resolve) => {
    silent.close(() => resolve());
  });
});

const check = (fields: Partial<EnvironmentHealthCheck>): EnvironmentHealthCheck => ({
  type: 'http',
  path: '/',
  timeoutMs: 5000,
  ...fields,
});

describe('health checks', () => {
  it('passes an http check on 2xx and fails it on anything else, naming the URL and the status', async () => {
    const results = await checkAll(check({ port: http.port, path: '/ready' }), ['127.0.0.1'], env);
    expect(results).toEqual([
      { address: '127.0.0.1', ok: true, detail: `GET http://127.0.0.1:${http.port}/ready → 200` },
    ]);
    http.status = 302;
    expect((await checkOne(check({ port: http.port }), '127.0.0.1', env)).detail).toBe(
      `GET http://127.0.0.1:${http.port}/ → 302 (not 2xx)`,
    );
    http.status = 200;
  });

  it('fails an http check that gets no answer within its timeout, or no connection', async () => {
    const timedOut = await checkOne(check({ port: silentPort, timeoutMs: 200 }), '127.0.0.1', env);
    expect(timedOut).toEqual({
      address: '127.0.0.1',
      ok: false,
      detail: `GET http://127.0.0.1:${silentPort}/ → no answer within 200 ms`,
    });
    const refused = await checkOne(check({ port: http.port }), '127.0.0.3', env);
    expect(refused.ok).toBe(false);
    expect(refused.detail).toMatch(new RegExp(`^GET http://127\\.0\\.0\\.3:${http.port}/ → ECONNREFUSED`));
    // IPv6 addresses are bracketed in the URL.
    expect((await checkOne(check({ port: http.port }), '::1', env)).detail).toMatch(/^GET http:\/\/\[::1\]:/);
  });

  it('runs a command check with {server} replaced, passing on exit 0', async () => {
    const command = ['sh', '-c', 'test "$0" = 127.0.0.1 || { echo "bad server $0"; exit 2; }', '{server}'];
    const passed = await checkOne(check({ type: 'command', command }), '127.0.0.1', env);
    expect(passed).toMatchObject({ ok: true, detail: expect.stringMatching(/ 127\.0\.0\.1 → exit 0$/) });
    const failed = await checkOne(check({ type: 'command', command }), '10.9.9.9', env);
    expect(failed).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/ 10\.9\.9\.9 → exit 2: bad server 10\.9\.9\.9$/),
    });
  });
});

describe('switch commands', () => {
  it('replaces known placeholders per argument and keeps other braces', () => {
    expect(
      substitute(['a', '{server}', 'x{workspace}y', '{other}', '{}'], { server: '1 2', workspace: 'w' }),
    ).toEqual(['a', '1 2', 'xwy', '{other}', '{}']);
  });

  it('reports a program that cannot start, one killed at its timeout, and cuts long output', async () => {
    const missing = await runCommand(['tide-no-such-program-xyz'], { env, timeoutMs: 5000 });
    expect(missing).toEqual({
      argv: ['tide-no-such-program-xyz'],
      ok: false,
      exit_code: null,
      output: 'cannot run tide-no-such-program-xyz: not found on PATH',
    });
    const slow = await runCommand(['sh', '-c', 'echo started; exec sleep 30'], { env, timeoutMs: 300 });
    expect(slow).toMatchObject({ ok: false, exit_code: null });
    expect(slow.output).toBe('started\ntimed out after 300 ms; killed');
    const long = await runCommand(['sh', '-c', 'head -c 100000 /dev/zero | tr "\\0" x'], {
      env,
      timeoutMs: 5000,
    });
    expect(long.ok).toBe(true);
    expect(long.output).toHaveLength(64 * 1024 + '\n[output cut at 64 KiB]'.length);
  });
});
