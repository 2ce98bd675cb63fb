import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldReason, preDestroyChecker } from './pre-destroy-check.ts';

const check = preDestroyChecker({ PATH: process.env.PATH ?? '/usr/bin:/bin' });
const command = (...argv: string[]) => check({ command: argv, timeoutMs: 10_000 });

describe('a pre-destroy command check', () => {
  it('passes on exit 0', async () => {
    expect(await command('true')).toEqual({ ok: true, detail: 'true → exit 0' });
  });

  it("fails on another exit code, with the output's last line", async () => {
    expect(await command('sh', '-c', 'echo checking; echo users still connected; exit 3')).toEqual({
      ok: false,
      detail: 'sh → exit 3: users still connected',
    });
    expect(await command('sh', '-c', 'exit 4')).toEqual({ ok: false, detail: 'sh → exit 4' });
  });

  it('fails, saying why, when the command cannot run or is killed', async () => {
    expect(await command('tide-no-such-check')).toEqual({
      ok: false,
      detail: 'tide-no-such-check → cannot run tide-no-such-check: not found on PATH',
    });
    expect(await command('sh', '-c', 'kill -TERM $$')).toEqual({
      ok: false,
      detail: 'sh → killed by SIGTERM',
    });
  });

  it('keeps the detail short', async () => {
    const result = await command('sh', '-c', `echo ${'x'.repeat(500)}; exit 1`);
    expect(result.detail).toHaveLength(200);
    expect(heldReason(result)).toBe(`pre_destroy_check: ${result.detail}`);
  });
});

describe('a pre-destroy HTTP check (a real local server)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url?.startsWith('/silent')) return; // never answers
      const status = Number(request.url?.split('/')[1]?.split('?')[0]);
      response.writeHead(status, status === 302 ? { location: 'http://127.0.0.1:9/' } : {}).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const http = (url: string, timeoutMs = 10_000) => check({ http: url, timeoutMs });

  it('passes on a 2xx answer and fails on any other, without showing the query string', async () => {
    expect(await http(`${base}/204?token=secret`)).toEqual({ ok: true, detail: `GET ${base}/204 → 204` });
    expect(await http(`${base}/503?token=secret`)).toEqual({ ok: false, detail: `GET ${base}/503 → 503` });
  });

  it('does not follow a redirect', async () => {
    expect(await http(`${base}/302`)).toEqual({ ok: false, detail: `GET ${base}/302 → 302` });
  });

  it('fails naming the cause when nothing answers, the answer is late, or the request cannot be made', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await http(`http://127.0.0.1:${closedPort}/health`)).toEqual({
      ok: false,
      detail: `GET http://127.0.0.1:${closedPort}/health → connect ECONNREFUSED 127.0.0.1:${closedPort}`,
    });
    expect(await http(`${base}/silent`, 200)).toEqual({
      ok: false,
      detail: `GET ${base}/silent → no answer within 200 ms`,
    });
    const withCredentials = await http(`http://user:pass@127.0.0.1:9/health`);
    expect(withCredentials.ok).toBe(false);
    expect(withCredentials.detail).toMatch(/^GET http:\/\/127\.0\.0\.1:9\/health → .+/);
  });
});
