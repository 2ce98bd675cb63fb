/**
 * Test support for environments: real local HTTP and TCP servers as health-check targets, a recording
 * switch action (a script that appends its argv to a file, and fails for targets named `fail-*`), and a
 * workspace made `deployed` with given outputs, as a succeeded deploy run leaves it. Not used by
 * production code.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { insertRun, updateRunState } from '../run/run.repo.ts';
import type { Db } from '../store/schema.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';

export interface HealthServer {
  readonly host: string;
  readonly port: number;
  /** What it answers from now on. */
  status: number;
  /** Requests seen, as `host path`. */
  readonly seen: string[];
  /** While set, requests wait for it before answering. */
  gate: Promise<void> | null;
  /** Resolves at the next request this server receives. */
  nextRequest(): Promise<void>;
  close(): Promise<void>;
}

/**
 * An HTTP server on `host` (any port, or `port`) answering every request with `status` — or, while
 * `statusFile` exists, with the status written in it (so a switch action can break the server).
 */
export async function startHealthServer(
  host: string,
  port = 0,
  options: { statusFile?: string } = {},
): Promise<HealthServer> {
  const seen: string[] = [];
  const arrivals: (() => void)[] = [];
  const state: { status: number; gate: Promise<void> | null } = { status: 200, gate: null };
  const server: HttpServer = createHttpServer((request, response) => {
    seen.push(`${host} ${request.url ?? ''}`);
    arrivals.splice(0).forEach((arrived) => arrived());
    void (state.gate ?? Promise.resolve()).then(() => {
      const file = options.statusFile;
      const status = file && existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : state.status;
      response.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      response.end(status === 200 ? 'ok' : 'unhealthy');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return Object.assign(state, {
    host,
    port: typeof address === 'object' && address ? address.port : port,
    seen,
    nextRequest: () => new Promise<void>((resolve) => arrivals.push(resolve)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A TCP server on `host` that accepts connections and closes them. */
export async function startTcpServer(host: string): Promise<{ port: number; close(): Promise<void> }> {
  const server: TcpServer = createTcpServer((socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface RecordingAction {
  readonly script: string;
  readonly log: string;
  /** Written (`503`) when the action is given an argument starting with `break-`: a health server's statusFile. */
  readonly statusFile: string;
  /** One line per call: its arguments after the log path, space-separated. */
  calls(): string[];
  cleanup(): void;
}

/**
 * `script <log> args…` appends `args… secret=<TIDE_SECRET_PROBE or unset>` to `log`, prints a line, and
 * exits 3 with an error message if an argument starts with `fail-`. An argument starting with `break-`
 * writes `503` to `statusFile`: the assignment succeeds, and the server it points at stops being healthy.
 */
export function recordingAction(): RecordingAction {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-env-action-'));
  const script = path.join(dir, 'assign.sh');
  const log = path.join(dir, 'calls.log');
  const statusFile = path.join(dir, 'health-status');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'log="$1"; shift',
      'echo "$* secret=${TIDE_SECRET_PROBE:-unset}" >> "$log"',
      'for arg in "$@"; do case "$arg" in fail-*) echo "error: cannot assign to $arg" >&2; exit 3;; esac; done',
      `for arg in "$@"; do case "$arg" in break-*) echo 503 > '${statusFile}';; esac; done`,
      'echo "assigned $1 to $2"',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return {
    script,
    log,
    statusFile,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n') : []),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

let runs = 0;

/** Makes `workspace` deployed with `outputs`, as a succeeded deploy run records them. */
export async function markDeployed(
  db: Db,
  workspace: string,
  outputs: Record<string, unknown>,
  now: Date,
): Promise<void> {
  const run = await insertRun(db, {
    id: `env-test-deploy-${++runs}`,
    workspace,
    action: 'deploy',
    trigger: 'manual',
    created_at: now,
  });
  await updateRunState(db, run.id, 'running', now, { lease: { owner: 'test', leaseMs: 60_000 } });
  await updateRunState(db, run.id, 'succeeded', now, { exit_code: 0, outputs });
  await upsertWorkspaceStatus(db, workspace, { status: 'deployed' }, now);
}
