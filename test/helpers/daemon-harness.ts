import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDaemon, type Daemon, type DaemonSettings } from '../../src/daemon/daemon.ts';
import { isDone } from '../../src/run/run-state.ts';
import type { Run } from '../../src/run/run.ts';
import { createLogger } from '../../src/log/logger.ts';
import { ManualClock } from '../../src/time/clock.ts';
import { createTestToken } from './auth-fixture.ts';
import { makeConfigDir } from './config-dir.ts';
import { ManualTimers } from './scheduler-harness.ts';

/** Parsed JSON of an API answer; tests read the fields they assert on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by assertions, not types
export type ApiBody = any;

export interface DaemonHarness {
  readonly clock: ManualClock;
  readonly configDir: string;
  readonly dataDir: string;
  /** A scratch directory for local-exec side effects. */
  readonly sideEffects: string;
  readonly write: (file: string, content: string | object) => void;
  /** What the daemon was started with: tests start other servers from it. */
  readonly settings: DaemonSettings;
  daemon: Daemon;
  /** Starts a new daemon on the same directories (a restart). */
  restart(at?: string): Promise<Daemon>;
  /** Resolves with the run once it reaches a terminal state. */
  finished(runId: string, timeoutMs?: number): Promise<Run>;
  /** Resolves with the next run that reaches a terminal state. */
  nextFinished(timeoutMs?: number): Promise<Run>;
  api(method: string, url: string, body?: unknown): Promise<{ status: number; body: ApiBody }>;
  cleanup(): Promise<void>;
}

/**
 * The real daemon (store, scheduler, worker, executor with the real engine, API) in this process, with a
 * manual clock: the test moves time and ticks the scheduler; nothing waits for a schedule.
 */
export async function daemonHarness(
  files: Record<string, string | object>,
  start: string,
  tuning: Partial<DaemonSettings> = {},
): Promise<DaemonHarness> {
  const config = makeConfigDir(files);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-data-'));
  const sideEffects = mkdtempSync(path.join(tmpdir(), 'tide-effects-'));
  const clock = new ManualClock(start);
  const settings: DaemonSettings = {
    configDir: config.dir,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    timezone: 'UTC',
    maxConcurrentRuns: 4,
    roles: new Set(['api', 'scheduler', 'runner']),
    clock,
    logger: createLogger('silent'),
    pollIntervalMs: 50,
    killGraceMs: 2000,
    schedulerTimers: new ManualTimers(),
    // The bootstrap admin's password is not for the test output; tests authenticate with a token.
    print: () => undefined,
    ...tuning,
  };
  const launch = () => startDaemon(settings);
  const daemon = await launch();
  // An admin API token for the bootstrapped `admin`: stored in the database, so it survives restarts.
  // Named after the data directory: replicas of one cluster share the database, and each has its own.
  const token = await createTestToken(
    daemon.store.db,
    { username: 'admin', role: 'admin' },
    { name: `harness ${path.basename(dataDir)}` },
  );
  const harness: DaemonHarness = {
    clock,
    configDir: config.dir,
    dataDir,
    sideEffects,
    write: config.write,
    settings,
    daemon,
    async restart(at) {
      await harness.daemon.close(2000);
      if (at) clock.set(at);
      harness.daemon = await launch();
      return harness.daemon;
    },
    finished(runId, timeoutMs = 60_000) {
      return waitForRun(harness, (run) => run.id === runId, timeoutMs);
    },
    nextFinished(timeoutMs = 60_000) {
      return waitForRun(harness, () => true, timeoutMs);
    },
    async api(method, url, body) {
      const response = await harness.daemon.app!.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
    },
    async cleanup() {
      await harness.daemon.close(2000);
      config.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(sideEffects, { recursive: true, force: true });
    },
  };
  return harness;
}

function waitForRun(harness: DaemonHarness, match: (run: Run) => boolean, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const hub = harness.daemon.hub;
    const timer = setTimeout(() => {
      hub.off('run.updated', listener);
      reject(new Error(`no run finished within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (run: Run) => {
      if (!isDone(run.state) || !match(run)) return;
      clearTimeout(timer);
      hub.off('run.updated', listener);
      resolve(run);
    };
    hub.on('run.updated', listener);
  });
}

/**
 * terraform_data + local-exec code whose side effects land in `dir` (checked on disk by tests). With
 * `orderLog`, each create and destroy also appends `up <ws>` / `down <ws>` to `<dir>/order.log`, so a
 * test sees the order workspaces came up and went down in.
 */
export function markerWorkspaceTf(
  dir: string,
  extraCommand = '',
  options: { orderLog?: boolean } = {},
): string {
  const logUp = options.orderLog ? ` && echo up \${var.workspace} >> ${dir}/order.log` : '';
  const logDown = options.orderLog ? ` && echo down $(basename \${self.output} .up) >> ${dir}/order.log` : '';
  return `
variable "workspace" { type = string }
variable "mode" {
  type    = string
  default = "default"
}
resource "terraform_data" "marker" {
  input = "${dir}/\${var.workspace}.up"
  provisioner "local-exec" {
    command = "${extraCommand}touch \${self.input} && echo created \${self.input}${logUp}"
  }
  provisioner "local-exec" {
    when    = destroy
    command = "rm -f \${self.output}${logDown}"
  }
}
output "marker" { value = terraform_data.marker.output }
`;
}
