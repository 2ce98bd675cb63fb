/**
 * What `tide serve` checks and undoes while it starts: every fatal problem (config directory, database,
 * engine, port) stops the start with one clear line before the scheduler or the runner runs, and what
 * was opened until then is closed, so a failed start leaves no loop, listener or lock behind.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import path from 'node:path';
import { discoverEngine, type Engine } from '../engine/engine.ts';
import { TideError } from '../errors/tide-error.ts';
import type { Logger } from '../log/logger.ts';

/** The configuration directory exists, is a directory and can be read: a typo stops here. */
export async function checkConfigDirectory(directory: string): Promise<void> {
  const dir = path.resolve(directory);
  const hint = 'pass --config-dir or set TIDE_CONFIG_DIR';
  const found = await stat(dir).catch((error: NodeJS.ErrnoException) => error);
  if (found instanceof Error) {
    if (found.code === 'ENOENT')
      throw new TideError('not_found', `config directory ${dir} does not exist; ${hint}`);
    throw new TideError('invalid_argument', `cannot read the config directory ${dir}: ${found.message}`);
  }
  if (!found.isDirectory())
    throw new TideError('invalid_argument', `config directory ${dir} is not a directory; ${hint}`);
  await access(dir, constants.R_OK | constants.X_OK).catch(() => {
    throw new TideError('invalid_argument', `cannot read the config directory ${dir}: permission denied`);
  });
}

/**
 * The engine runs need. A replica with the runner role cannot work without one, so its absence stops the
 * start (rather than a server that is up and never runs anything); without the role it is only noted.
 */
export async function findEngine(options: {
  readonly tofuBin: string | undefined;
  readonly required: boolean;
  readonly logger: Logger;
}): Promise<Engine | null> {
  try {
    const engine = await discoverEngine({ tofuBin: options.tofuBin, path: process.env.PATH });
    options.logger.info({ engine: engine.name, version: engine.version, bin: engine.bin }, 'engine found');
    return engine;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (options.required) {
      throw new TideError(
        'engine_not_found',
        `${message}; install tofu or terraform, set TIDE_TOFU_BIN, or run this replica without the runner role (--role api,scheduler)`,
        { cause: error },
      );
    }
    options.logger.info(
      { reason: message },
      'no engine found; this replica has no runner role and needs none',
    );
    return null;
  }
}

/** Why the HTTP port could not be bound, in words that say what to change. */
export function listenFailure(error: unknown, host: string, port: number): TideError {
  const code = (error as NodeJS.ErrnoException).code;
  const where = `${host}:${port}`;
  const details = { host, port };
  if (code === 'EADDRINUSE') {
    return new TideError(
      'conflict',
      `cannot listen on ${where}: the port is already in use (another tide serve?); stop that process or pass another --port (TIDE_PORT)`,
      { details, cause: error },
    );
  }
  if (code === 'EACCES') {
    return new TideError(
      'invalid_argument',
      `cannot listen on ${where}: permission denied (ports below 1024 need privileges); pass another --port (TIDE_PORT)`,
      { details, cause: error },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new TideError(
      'invalid_argument',
      `cannot listen on ${where}: this machine has no such address; pass another --host (TIDE_HOST)`,
      { details, cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new TideError('internal', `cannot listen on ${where}: ${message}`, { details, cause: error });
}

/** What a start has opened, closed in reverse order when it fails or when the daemon closes. */
export class OpenedResources {
  readonly #closers: (() => unknown)[] = [];

  constructor(private readonly logger: Logger) {}

  add(close: () => unknown): void {
    this.#closers.push(close);
  }

  /** Closes everything, last opened first; a failure to close one is logged and the rest still close. */
  async closeAll(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        this.logger.warn({ err: error }, 'closing after a failed or finished start failed');
      }
    }
  }
}

/**
 * The URL this replica's own engines use to reach its API: the bound port, on loopback when the server
 * listens on every interface (the wildcard address is not one a client can connect to).
 */
export function loopbackUrl(app: FastifyInstance, host: string): string {
  const { port } = app.server.address() as AddressInfo;
  const wildcard: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '[::1]', '': '127.0.0.1' };
  const target = wildcard[host] ?? (host.includes(':') ? `[${host}]` : host);
  return `http://${target}:${port}`;
}
