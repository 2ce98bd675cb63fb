/**
 * What every bench case shares: generated configuration directories, a spawned `tide serve` (dist/, as
 * users run it), checked HTTP calls over keep-alive connections, the server's event-loop delay and
 * percentiles. Anything that did not work (a non-2xx
 * answer, a run that did not succeed) throws: a bench figure must measure what it names.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../src/store/database.ts';
import { INITIAL_ADMIN_FILE, INITIAL_ADMIN_USERNAME } from '../src/auth/bootstrap-admin.ts';
import { freePort, TIDE_BIN } from '../test/helpers/serve-process.ts';

export const root = path.resolve(import.meta.dirname, '..');
export const trivialTf =
  'resource "terraform_data" "x" {\n  input = "hello"\n}\noutput "x" { value = terraform_data.x.output }\n';

/** One line of the final table: what is measured, its goal, the value and whether it meets the goal. */
export interface Row {
  readonly row: string;
  readonly goal: string;
  readonly measured: string;
  readonly pass: boolean;
}

/** What a case returns: its raw figures (printed as one JSON line) and its rows of the table. */
export interface CaseResult {
  readonly figures: Record<string, number | string | boolean>;
  readonly rows: readonly Row[];
}

/** Sizes, from flags; `--smoke` shrinks them all. */
export interface Sizes {
  readonly workspaces: number;
  readonly seconds: number;
  readonly repeats: number;
  readonly burst: number;
  readonly slots: number;
  readonly reloadFiles: number;
  readonly connections: number;
  readonly durationMs: number;
  readonly firingsPerSecond: number;
  /** Seconds between two deploys of one firing workspace in the lag case (even, divides 60). */
  readonly lagPeriod: number;
}

export const ms = (value: number): string =>
  value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) throw new Error('bench: a percentile of no values');
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

export function scratch(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `tide-bench-${prefix}-`));
}

export function removeAll(...dirs: string[]): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

export type WorkspaceConfig = Record<string, unknown>;

/** `ws-0` … `ws-(n-1)`, each a folder with `config.json` from `configOf(i)` and a trivial main.tf. */
export function writeConfigDir(workspaces: number, configOf: (i: number) => WorkspaceConfig): string {
  const dir = scratch('config');
  for (let i = 0; i < workspaces; i++) writeWorkspace(dir, i, configOf(i));
  return dir;
}

export function writeWorkspace(configDir: string, i: number, config: WorkspaceConfig): void {
  const ws = path.join(configDir, 'workspaces', `ws-${i}`);
  mkdirSync(ws, { recursive: true });
  writeFileSync(path.join(ws, 'config.json'), JSON.stringify(config));
  writeFileSync(path.join(ws, 'main.tf'), trivialTf);
}

/**
 * writeWorkspace for many workspaces at once, in a worker thread: writing a burst synchronously here would
 * block this process's event loop, and with it the client that measures how long the server does not
 * answer meanwhile (the memory case).
 */
export async function writeWorkspacesAside(
  configDir: string,
  workspaces: readonly { i: number; config: WorkspaceConfig }[],
): Promise<void> {
  const worker = new Worker(
    `const { mkdirSync, writeFileSync } = require('node:fs');
     const path = require('node:path');
     const { configDir, workspaces, tf } = require('node:worker_threads').workerData;
     for (const { i, config } of workspaces) {
       const ws = path.join(configDir, 'workspaces', 'ws-' + i);
       mkdirSync(ws, { recursive: true });
       writeFileSync(path.join(ws, 'config.json'), JSON.stringify(config));
       writeFileSync(path.join(ws, 'main.tf'), tf);
     }`,
    { eval: true, workerData: { configDir, workspaces, tf: trivialTf } },
  );
  const [code] = (await once(worker, 'exit')) as [number];
  if (code !== 0)
    throw new Error(`bench: writing ${workspaces.length} workspaces failed (worker exit ${code})`);
}

/**
 * A scheduled workspace that fires at none of the next six hours (deploy and destroy daily, spread over
 * the other hours): loaded and scheduled like a real one, but silent while a case measures.
 */
export function quietWorkspace(i: number, now = new Date()): WorkspaceConfig {
  const hour = (now.getUTCHours() + 6 + (i % 12)) % 24;
  return {
    enabled: true,
    description: `bench workspace ${i}`,
    deploy_schedule: `${i % 60} ${hour} * * *`,
    destroy_schedule: `${(i + 30) % 60} ${(hour + 1) % 24} * * *`,
  };
}

/** `bench/fake-engine.sh` as `terraform` in a fresh directory, and the file it logs spawns to. */
export function fakeEngine(): { bin: string; spawnsLog: string; dir: string } {
  const dir = scratch('engine');
  const spawnsLog = path.join(dir, 'spawns.log');
  writeFileSync(spawnsLog, '');
  const bin = path.join(dir, 'terraform');
  copyFileSync(path.join(root, 'bench/fake-engine.sh'), bin);
  execFileSync('chmod', ['+x', bin]);
  return { bin, spawnsLog, dir };
}

export interface FakeEngineServe {
  readonly serve: ServeProcess;
  readonly engine: ReturnType<typeof fakeEngine>;
  /** The server's own SQLite file, opened read-only alongside it (WAL: readers never block its writes). */
  readonly store: Database.Database;
  /** Stops the server and removes its data, the engine's folder and `configDir`. */
  close(): Promise<void>;
}

/** `tide serve` on `configDir` with the fake engine and `slots` concurrent runs. */
export async function serveWithFakeEngine(configDir: string, slots: number): Promise<FakeEngineServe> {
  const engine = fakeEngine();
  const serve = await spawnServe(configDir, {
    TIDE_TOFU_BIN: engine.bin,
    BENCH_SPAWNS_LOG: engine.spawnsLog,
    // Runs see only allowlisted variables (never TIDE_*): the fake engine needs its spawn log's path.
    TIDE_RUN_ENV_PASSTHROUGH: 'BENCH_SPAWNS_LOG',
    TIDE_MAX_CONCURRENT_RUNS: String(slots),
  });
  const store = new Database(path.join(serve.dataDir, SQLITE_FILE), { readonly: true });
  return {
    serve,
    engine,
    store,
    async close() {
      store.close();
      await serve.stop();
      removeAll(configDir, engine.dir);
    },
  };
}

/** Run id → when its first engine process started (epoch ms), from the fake engine's log. */
export function readSpawns(spawnsLog: string): Map<string, number> {
  const spawns = new Map<string, number>();
  for (const line of readFileSync(spawnsLog, 'utf8').split('\n')) {
    const [id, at] = line.split(' ');
    if (id && at && !spawns.has(id)) spawns.set(id, Number(at));
  }
  return spawns;
}

/** Throws unless every run in `states` (id → state) succeeded; `what` names the measurement. */
export function expectRunsSucceeded(states: ReadonlyMap<string, string>, what: string): void {
  if (states.size === 0) throw new Error(`bench: ${what}: no run was measured`);
  const failed = [...states].filter(([, state]) => state !== 'succeeded');
  if (failed.length > 0) {
    const sample = failed.slice(0, 5).map(([id, state]) => `${id}: ${state}`);
    throw new Error(
      `bench: ${what}: ${failed.length} of ${states.size} runs did not succeed (${sample.join(', ')})`,
    );
  }
}

/**
 * The event-loop delay of a spawned `tide serve`, over a stretch of the bench: the server's own
 * `monitorEventLoopDelay` (prom-client's `nodejs_eventloop_lag_*` gauges behind `GET /metrics`), which
 * starts over at every scrape. So the figure is how long the server's loop was kept from turning, not the
 * load generator's.
 */
async function serverLoopDelay(
  agent: http.Agent,
  url: string,
): Promise<{ stop(): Promise<{ eld_max_ms: number; eld_p99_ms: number }> }> {
  const scrape = async () => {
    const text = expect2xx(await httpRequest(agent, `${url}/metrics`), 'GET /metrics').body;
    const gauge = (name: string) => {
      const value = new RegExp(`^tide_process_nodejs_eventloop_lag_${name}_seconds (\\S+)$`, 'm').exec(text);
      if (!value)
        throw new Error(`bench: GET /metrics has no tide_process_nodejs_eventloop_lag_${name}_seconds`);
      return Math.round(Number(value[1]) * 1000);
    };
    return { eld_max_ms: gauge('max'), eld_p99_ms: gauge('p99') };
  };
  await scrape();
  return { stop: scrape };
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

/** One request on `agent`'s keep-alive connections; resolves with whatever the server answered. */
export function httpRequest(
  agent: http.Agent,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { agent, method: options.method ?? 'GET', headers: options.headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            contentType: String(response.headers['content-type'] ?? ''),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

export interface CheckedHttp {
  readonly baseUrl: string;
  readonly token: string;
  readonly agent: http.Agent;
  /** Sends with the admin's token; throws unless the answer is 2xx. */
  request(pathAndQuery: string, options?: { method?: string; body?: unknown }): Promise<HttpAnswer>;
  json<T>(pathAndQuery: string, options?: { method?: string; body?: unknown }): Promise<T>;
  close(): void;
}

export function expect2xx(answer: HttpAnswer, what: string): HttpAnswer {
  if (answer.status >= 200 && answer.status < 300) return answer;
  throw new Error(`bench: ${what} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
}

/** Logs in over HTTP as `admin` with the password the first start wrote to the data directory. */
export async function adminHttp(baseUrl: string, dataDir: string): Promise<CheckedHttp> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const password = readFileSync(path.join(dataDir, INITIAL_ADMIN_FILE), 'utf8').trim();
  const login = await httpRequest(agent, `${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: INITIAL_ADMIN_USERNAME, password }),
  });
  const { access_token: token } = JSON.parse(expect2xx(login, 'POST /api/v1/auth/login').body) as {
    access_token: string;
  };
  const request = async (pathAndQuery: string, options: { method?: string; body?: unknown } = {}) => {
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const answer = await httpRequest(agent, `${baseUrl}${pathAndQuery}`, {
      method,
      headers,
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    return expect2xx(answer, `${method} ${pathAndQuery}`);
  };
  return {
    baseUrl,
    token,
    agent,
    request,
    async json<T>(pathAndQuery: string, options?: { method?: string; body?: unknown }) {
      return JSON.parse((await request(pathAndQuery, options)).body) as T;
    },
    close: () => agent.destroy(),
  };
}

/**
 * Issues `GET url` back to back until `stop` resolves and returns the longest answer time: from outside
 * the server's event loop (another process), the longest time the API did not answer.
 */
export async function longestAnswer(agent: http.Agent, url: string, stop: Promise<unknown>): Promise<number> {
  let stopped = false;
  void stop.finally(() => {
    stopped = true;
  });
  let longest = 0;
  while (!stopped) {
    const started = performance.now();
    expect2xx(await httpRequest(agent, url), `GET ${url}`);
    longest = Math.max(longest, performance.now() - started);
  }
  return longest;
}

/** Polls `check` every `everyMs` until it returns true; the backstop only turns a hang into an error. */
export async function pollUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  everyMs = 10,
  backstopMs = 600_000,
): Promise<void> {
  const deadline = performance.now() + backstopMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly dataDir: string;
  /** Spawn → first `GET /api/health/ready` answered 200. */
  readonly readyMs: number;
  /** VmRSS and VmHWM of the process from /proc, in MiB. */
  memory(): { rss_mb: number; hwm_mb: number };
  /** The server's event-loop delay from now until `stop` (serverLoopDelay). */
  loopDelay(): ReturnType<typeof serverLoopDelay>;
  stop(): Promise<void>;
}

/** `--cpu-profile DIR`: every spawned server writes its CPU profile there when it stops (node --cpu-prof). */
export const profiling: { dir: string | null } = { dir: null };

/**
 * `node bin/tide.js serve` as users run it (compiled dist/), with SQLite in a fresh data directory; resolves
 * once `/api/health/ready` answers 200, polled every 10 ms.
 */
export async function spawnServe(configDir: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  const dataDir = scratch('serve-data');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const profile = profiling.dir ? ['--cpu-prof', '--cpu-prof-dir', profiling.dir] : [];
  const child = spawn(
    process.execPath,
    [...profile, TIDE_BIN, 'serve', '--config-dir', configDir, '--data-dir', dataDir],
    {
      env: {
        ...process.env,
        TIDE_PORT: String(port),
        TIDE_HOST: '127.0.0.1',
        TIDE_LOG_LEVEL: 'error',
        TIDE_TIMEZONE: 'UTC',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  // A bench that stops with an error must not leave a server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = once(child, 'exit');
  const agent = new http.Agent({ keepAlive: true });
  await pollUntil('tide serve to be ready', async () => {
    if (child.exitCode !== null) throw new Error(`bench: tide serve exited ${child.exitCode}: ${stderr}`);
    const answer = await httpRequest(agent, `${url}/api/health/ready`).catch(() => null);
    return answer?.status === 200;
  });
  const readyMs = performance.now() - started;
  return {
    child,
    url,
    dataDir,
    readyMs,
    loopDelay: () => serverLoopDelay(agent, url),
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
      return { rss_mb: Math.round(kib('VmRSS') / 1024), hwm_mb: Math.round(kib('VmHWM') / 1024) };
    },
    async stop() {
      process.off('exit', killOnExit);
      agent.destroy();
      child.kill('SIGTERM');
      await exited;
      removeAll(dataDir);
    },
  };
}

export interface LoadedTide {
  readonly serve: ServeProcess;
  readonly configDir: string;
  readonly api: CheckedHttp;
  readonly workspaces: number;
  close(): Promise<void>;
}

/**
 * `tide serve` (dist/, as users run it) with every role, `workspaces` quiet workspaces loaded and an admin
 * logged in over HTTP: the shared subject of the API throughput, list latency and hot reload cases. The
 * load generator is this process, so it never takes the server's event loop.
 */
export async function loadedTide(workspaces: number): Promise<LoadedTide> {
  const now = new Date();
  const configDir = writeConfigDir(workspaces, (i) => quietWorkspace(i, now));
  const serve = await spawnServe(configDir, { TIDE_MAX_CONCURRENT_RUNS: '4' });
  const api = await adminHttp(serve.url, serve.dataDir);
  return {
    serve,
    configDir,
    api,
    workspaces,
    async close() {
      api.close();
      await serve.stop();
      removeAll(configDir);
    },
  };
}
