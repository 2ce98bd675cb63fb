/**
 * The health check of a switch's target (docs/environments.md): `http` passes on a 2xx answer from
 * `scheme://server:port/path` (https when the port is 443, as in the Provisioner), `tcp` when a
 * connection opens, `command` when the command (with `{server}` replaced) exits 0. Every address is
 * checked at once, each within the timeout, and all must pass.
 */
import { connect, isIPv6 } from 'node:net';
import type { EnvironmentHealthCheck } from '../config/config-model.ts';
import { runCommand, substitute } from './switch-command.ts';

export interface HealthCheckResult {
  readonly address: string;
  readonly ok: boolean;
  /** What was checked and what happened: `GET http://10.0.0.5:80/health → 200`. */
  readonly detail: string;
}

export async function checkAll(
  check: EnvironmentHealthCheck,
  servers: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<HealthCheckResult[]> {
  return Promise.all(servers.map((server) => checkOne(check, server, env)));
}

export async function checkOne(
  check: EnvironmentHealthCheck,
  server: string,
  env: Readonly<Record<string, string>>,
): Promise<HealthCheckResult> {
  switch (check.type) {
    case 'http':
      return checkHttp(check, server);
    case 'tcp':
      return checkTcp(check, server);
    case 'command':
      return checkCommand(check, server, env);
  }
}

const hostOf = (server: string) => (isIPv6(server) ? `[${server}]` : server);

async function checkHttp(check: EnvironmentHealthCheck, server: string): Promise<HealthCheckResult> {
  const port = check.port ?? 80;
  const url = `${port === 443 ? 'https' : 'http'}://${hostOf(server)}:${port}${check.path}`;
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(check.timeoutMs) });
    await response.body?.cancel();
    const ok = response.status >= 200 && response.status < 300;
    return { address: server, ok, detail: `GET ${url} → ${response.status}${ok ? '' : ' (not 2xx)'}` };
  } catch (error) {
    const cause =
      (error as Error).name === 'TimeoutError' ? `no answer within ${check.timeoutMs} ms` : describe(error);
    return { address: server, ok: false, detail: `GET ${url} → ${cause}` };
  }
}

async function checkTcp(check: EnvironmentHealthCheck, server: string): Promise<HealthCheckResult> {
  const port = check.port!;
  const where = `tcp ${hostOf(server)}:${port}`;
  return new Promise((resolve) => {
    const socket = connect({ host: server, port });
    const done = (ok: boolean, detail: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ address: server, ok, detail: `${where} → ${detail}` });
    };
    const timer = setTimeout(
      () => done(false, `no connection within ${check.timeoutMs} ms`),
      check.timeoutMs,
    );
    socket.once('connect', () => done(true, 'connected'));
    socket.once('error', (error) => done(false, describe(error)));
  });
}

async function checkCommand(
  check: EnvironmentHealthCheck,
  server: string,
  env: Readonly<Record<string, string>>,
): Promise<HealthCheckResult> {
  const argv = substitute(check.command!, { server });
  const result = await runCommand(argv, { env, timeoutMs: check.timeoutMs });
  const last = result.output.trim().split('\n').at(-1) ?? '';
  const status = result.ok ? 'exit 0' : result.exit_code === null ? last : `exit ${result.exit_code}`;
  return {
    address: server,
    ok: result.ok,
    detail: `${argv.join(' ')} → ${status}${!result.ok && result.exit_code !== null && last ? `: ${last}` : ''}`,
  };
}

function describe(error: unknown): string {
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
  const err = (cause ?? error) as NodeJS.ErrnoException;
  return err.code ? `${err.code} (${err.message})` : err.message;
}
