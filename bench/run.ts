/**
 * Benchmarks: `npm run bench [-- lag|memory|ratio|all] [--workspaces N[,N…]] [--seconds S] [--repeats R]`.
 * Numbers go to docs/benchmarks.md, which names the command behind each figure; nothing here is a timed
 * test. Runs the real daemon in this process on a generated config directory.
 *
 * What is timed must have worked: API requests are authenticated as the first admin and must answer 2xx,
 * and every measured run must end `succeeded`; anything else stops the bench with an error. Small sizes
 * (`--workspaces 100 --seconds 5 --repeats 2`) check the bench itself without loading the machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { startDaemon, type DaemonSettings } from '../src/daemon/daemon.ts';
import { createLogger } from '../src/log/logger.ts';
import { systemClock } from '../src/time/clock.ts';
import { adminApi, expectRunsSucceeded } from './checked-api.ts';

const root = path.resolve(import.meta.dirname, '..');
const trivialTf =
  'resource "terraform_data" "x" {\n  input = "hello"\n}\noutput "x" { value = terraform_data.x.output }\n';

/** `cron(i)` deploys workspace i; `cron(i + workspaces)` destroys it. */
function configDir(workspaces: number, cron: (i: number) => string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-bench-config-'));
  for (let i = 0; i < workspaces; i++) {
    const ws = path.join(dir, 'workspaces', `ws-${i}`);
    mkdirSync(ws, { recursive: true });
    writeFileSync(
      path.join(ws, 'config.json'),
      JSON.stringify({ enabled: true, deploy_schedule: cron(i), destroy_schedule: cron(i + workspaces) }),
    );
    writeFileSync(path.join(ws, 'main.tf'), trivialTf);
  }
  return dir;
}

/** The daemon on `configDir` with a fresh SQLite data directory; the first admin's password is not printed. */
async function benchDaemon(
  config: string,
  settings: Pick<DaemonSettings, 'roles' | 'maxConcurrentRuns'> & Partial<DaemonSettings>,
) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-bench-data-'));
  const daemon = await startDaemon({
    configDir: config,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    timezone: 'UTC',
    clock: systemClock,
    logger: createLogger('error'),
    print: () => {},
    ...settings,
  });
  return { daemon, dataDir };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Scheduled instant → engine process spawned. Whatever the number of workspaces, firings arrive at the same
 * rate (about 17 a second, spread over each second), so the sizes compare the scheduler's overhead with
 * more or fewer workspaces loaded rather than the runner's capacity.
 */
async function lag(workspaces: number, seconds: number): Promise<void> {
  const periodMinutes = Math.max(1, Math.round(workspaces / 1000));
  // Each workspace deploys at its second and destroys 30 seconds later, once per period.
  const cronFor = (i: number, offset: number) =>
    `${(i + offset) % 60} ${Math.floor(i / 60) % periodMinutes}-59/${periodMinutes} * * * *`;
  const config = configDir(workspaces, (i) =>
    i >= workspaces ? cronFor(i - workspaces, 30) : cronFor(i, 0),
  );
  const spawnDir = mkdtempSync(path.join(tmpdir(), 'tide-bench-engine-'));
  const spawns = path.join(spawnDir, 'spawns.log');
  writeFileSync(spawns, '');
  process.env.BENCH_SPAWNS_LOG = spawns;
  const fakeEngine = path.join(spawnDir, 'terraform');
  copyFileSync(path.join(root, 'bench/fake-engine.sh'), fakeEngine);
  execFileSync('chmod', ['+x', fakeEngine]);
  const started = Date.now();
  const { daemon, dataDir } = await benchDaemon(config, {
    tofuBin: fakeEngine,
    // Runs see only allowlisted variables (never TIDE_*): the fake engine needs its spawn log's path.
    runEnvPassthrough: ['BENCH_SPAWNS_LOG'],
    maxConcurrentRuns: 16,
    roles: new Set(['scheduler', 'runner']),
    pollIntervalMs: 200,
  });
  const startupMs = Date.now() - started;
  await sleep(seconds * 1000);
  await daemon.drain(10_000);
  const runs = await sql<{
    id: string;
    state: string;
    scheduled_at: string;
  }>`select r.id, r.state, f.scheduled_at from runs r join firings f on f.run_id = r.id`.execute(
    daemon.store.db,
  );
  const byId = new Map(runs.rows.map((row) => [row.id, row]));
  const measured = readFileSync(spawns, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const [id, at] = line.split(' ');
      const run = byId.get(id!);
      return run ? [{ run, lagMs: Number(at) - Date.parse(run.scheduled_at) }] : [];
    });
  expectRunsSucceeded(new Map(measured.map(({ run }) => [run.id, run.state])), `lag ${workspaces}`);
  const lags = measured.map(({ lagMs }) => lagMs).sort((a, b) => a - b);
  const rss = process.memoryUsage().rss;
  await daemon.close(1000);
  console.log(
    JSON.stringify({
      benchmark: 'lag',
      workspaces,
      seconds,
      startup_ms: startupMs,
      runs: lags.length,
      p50_ms: percentile(lags, 50),
      p99_ms: percentile(lags, 99),
      max_ms: lags.at(-1),
      rss_mb: Math.round(rss / 2 ** 20),
    }),
  );
  for (const dir of [config, dataDir, spawnDir]) rmSync(dir, { recursive: true, force: true });
}

/** Memory with many workspaces loaded, scheduled and idle (firings far in the future). */
async function memory(workspaces: number): Promise<void> {
  const config = configDir(workspaces, (i) => `${i % 60} ${i % 24} * * *`);
  const before = process.memoryUsage().rss;
  const started = Date.now();
  const { daemon, dataDir } = await benchDaemon(config, {
    maxConcurrentRuns: 4,
    roles: new Set(['api', 'scheduler', 'runner']),
  });
  const startupMs = Date.now() - started;
  const api = await adminApi(daemon.app!, dataDir);
  const list = performance.now();
  const page = await api.request({ url: '/api/v1/workspaces?limit=500' });
  const listMs = Math.round(performance.now() - list);
  const listed = page.json<{ items: unknown[] }>().items.length;
  if (listed !== Math.min(500, workspaces)) {
    throw new Error(
      `bench: memory: the list returned ${listed} workspaces, not ${Math.min(500, workspaces)}`,
    );
  }
  global.gc?.();
  const rss = process.memoryUsage();
  await daemon.close(1000);
  console.log(
    JSON.stringify({
      benchmark: 'memory',
      workspaces,
      startup_ms: startupMs,
      list_500_ms: listMs,
      rss_mb: Math.round(rss.rss / 2 ** 20),
      heap_used_mb: Math.round(rss.heapUsed / 2 ** 20),
      rss_before_mb: Math.round(before / 2 ** 20),
    }),
  );
  for (const dir of [config, dataDir]) rmSync(dir, { recursive: true, force: true });
}

/** `init + plan + apply` by hand on a trivial workspace with the real engine; throws if a step fails. */
function byHand(engine: string): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-bench-hand-'));
  writeFileSync(path.join(dir, 'main.tf'), trivialTf);
  const started = performance.now();
  for (const args of [
    ['init', '-input=false', '-no-color'],
    ['plan', '-input=false', '-no-color', '-out=p'],
    ['apply', '-input=false', '-no-color', 'p'],
  ]) {
    execFileSync(engine, args, { cwd: dir, stdio: 'ignore', env: { ...process.env, TF_IN_AUTOMATION: '1' } });
  }
  const elapsed = performance.now() - started;
  rmSync(dir, { recursive: true, force: true });
  return elapsed;
}

/** A Tide deploy run against the same run by hand, on a trivial workspace with the real engine. */
async function ratio(repeats: number): Promise<void> {
  const engine = spawnSync('sh', ['-c', 'command -v tofu || command -v terraform'], {
    encoding: 'utf8',
  }).stdout.trim();
  const byHandMs = Array.from({ length: repeats }, () => byHand(engine));
  const config = configDir(1, () => '0 0 1 1 *');
  const { daemon, dataDir } = await benchDaemon(config, {
    maxConcurrentRuns: 1,
    roles: new Set(['api', 'runner']),
    pollIntervalMs: 50,
  });
  const api = await adminApi(daemon.app!, dataDir);
  const tide: number[] = [];
  for (let i = 0; i < repeats * 2; i++) {
    // Deploys are timed; a destroy between two takes the workspace back down, so each deploy creates.
    const action = i % 2 === 0 ? 'deploy' : 'destroy';
    const started = performance.now();
    const queued = await api.request({ method: 'POST', url: `/api/v1/workspaces/ws-0/${action}` });
    const { id } = queued.json<{ id: string }>();
    let run: { state: string; reason?: string | null };
    do {
      await sleep(10);
      run = (await api.request({ url: `/api/v1/runs/${id}` })).json();
    } while (run.state === 'queued' || run.state === 'running');
    if (run.state !== 'succeeded') {
      throw new Error(`bench: ratio: ${action} run ${id} ended ${run.state} (${run.reason ?? 'no reason'})`);
    }
    if (action === 'deploy') tide.push(performance.now() - started);
  }
  await daemon.close(1000);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    JSON.stringify({
      benchmark: 'ratio',
      engine,
      repeats,
      by_hand_median_ms: Math.round(median(byHandMs)),
      tide_deploy_median_ms: Math.round(median(tide)),
      ratio: Number((median(tide) / median(byHandMs)).toFixed(2)),
    }),
  );
  for (const dir of [config, dataDir]) rmSync(dir, { recursive: true, force: true });
}

function positiveIntegers(option: string, text: string | undefined, fallback: number[]): number[] {
  if (text === undefined) return fallback;
  const values = text.split(',').map(Number);
  if (values.some((value) => !Number.isInteger(value) || value < 1)) {
    throw new Error(`bench: --${option} wants positive whole numbers separated by commas, got "${text}"`);
  }
  return values;
}

const { values: options, positionals } = parseArgs({
  options: { workspaces: { type: 'string' }, seconds: { type: 'string' }, repeats: { type: 'string' } },
  allowPositionals: true,
});
const which = positionals[0] ?? 'all';
if (!['lag', 'memory', 'ratio', 'all'].includes(which)) {
  throw new Error(`bench: unknown benchmark "${which}" (lag, memory, ratio or all)`);
}
const [seconds] = positiveIntegers('seconds', options.seconds, [30]);
const [repeats] = positiveIntegers('repeats', options.repeats, [6]);
if (which === 'lag' || which === 'all') {
  for (const size of positiveIntegers('workspaces', options.workspaces, [1000, 10_000]))
    await lag(size, seconds!);
}
if (which === 'memory' || which === 'all') {
  for (const size of positiveIntegers('workspaces', options.workspaces, [10_000])) await memory(size);
}
if (which === 'ratio' || which === 'all') await ratio(repeats!);
