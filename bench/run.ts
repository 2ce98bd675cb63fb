/**
 * Benchmarks (npm run bench [-- lag|memory|ratio]). Numbers go to docs/benchmarks.md; nothing here is a
 * timed test. Runs the real daemon in this process on a generated config directory.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { startDaemon } from '../src/daemon/daemon.ts';
import { createLogger } from '../src/log/logger.ts';
import { systemClock } from '../src/time/clock.ts';

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

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Scheduled instant → engine process spawned. Whatever the number of workspaces, firings arrive at the same
 * rate (about 17 a second, spread over each second), so the two sizes compare the scheduler's overhead
 * with 1,000 and 10,000 workspaces loaded rather than the runner's capacity.
 */
async function lag(workspaces: number, seconds: number): Promise<void> {
  const periodMinutes = Math.max(1, Math.round(workspaces / 1000));
  // Each workspace deploys at its second and destroys 30 seconds later, once per period.
  const cronFor = (i: number, offset: number) =>
    `${(i + offset) % 60} ${Math.floor(i / 60) % periodMinutes}-59/${periodMinutes} * * * *`;
  const config = configDir(workspaces, (i) =>
    i >= workspaces ? cronFor(i - workspaces, 30) : cronFor(i, 0),
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-bench-data-'));
  const spawns = path.join(dataDir, 'spawns.log');
  writeFileSync(spawns, '');
  process.env.TIDE_BENCH_SPAWNS = spawns;
  const fakeEngine = path.join(dataDir, 'terraform');
  copyFileSync(path.join(root, 'bench/fake-engine.sh'), fakeEngine);
  execFileSync('chmod', ['+x', fakeEngine]);
  const started = Date.now();
  const daemon = await startDaemon({
    configDir: config,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    timezone: 'UTC',
    tofuBin: fakeEngine,
    maxConcurrentRuns: 16,
    roles: new Set(['scheduler', 'runner']),
    clock: systemClock,
    logger: createLogger('error'),
    pollIntervalMs: 200,
  });
  const startupMs = Date.now() - started;
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await daemon.scheduler?.stop();
  await daemon.worker?.stop({ graceMs: 10_000 });
  const firings = await sql<{
    id: string;
    scheduled_at: string;
  }>`select r.id, f.scheduled_at from runs r join firings f on f.run_id = r.id`.execute(daemon.store.db);
  const scheduled = new Map(firings.rows.map((row) => [row.id, Date.parse(row.scheduled_at)]));
  const lags = readFileSync(spawns, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const [run, at] = line.split(' ');
      const due = scheduled.get(run!);
      return due === undefined ? [] : [Number(at) - due];
    })
    .sort((a, b) => a - b);
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
  rmSync(config, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}

/** Memory with many workspaces loaded, scheduled and idle (firings far in the future). */
async function memory(workspaces: number): Promise<void> {
  const config = configDir(workspaces, (i) => `${i % 60} ${i % 24} * * *`);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-bench-data-'));
  const before = process.memoryUsage().rss;
  const started = Date.now();
  const daemon = await startDaemon({
    configDir: config,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    timezone: 'UTC',
    maxConcurrentRuns: 4,
    roles: new Set(['api', 'scheduler', 'runner']),
    clock: systemClock,
    logger: createLogger('error'),
  });
  const startupMs = Date.now() - started;
  const list = Date.now();
  await daemon.app!.inject({ method: 'GET', url: '/api/v1/workspaces?limit=500' });
  const listMs = Date.now() - list;
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
  rmSync(config, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}

/** A Tide deploy run against `init + plan + apply` by hand, on a trivial workspace with the real engine. */
async function ratio(repeats: number): Promise<void> {
  const engine = spawnSync('sh', ['-c', 'command -v tofu || command -v terraform'], {
    encoding: 'utf8',
  }).stdout.trim();
  const byHand: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'tide-bench-hand-'));
    writeFileSync(path.join(dir, 'main.tf'), trivialTf);
    const t = Date.now();
    for (const args of [
      ['init', '-input=false', '-no-color'],
      ['plan', '-input=false', '-no-color', '-out=p'],
      ['apply', '-input=false', '-no-color', 'p'],
    ]) {
      execFileSync(engine, args, {
        cwd: dir,
        stdio: 'ignore',
        env: { ...process.env, TF_IN_AUTOMATION: '1' },
      });
    }
    byHand.push(Date.now() - t);
    rmSync(dir, { recursive: true, force: true });
  }
  const config = configDir(1, () => '0 0 1 1 *');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tide-bench-data-'));
  const daemon = await startDaemon({
    configDir: config,
    dataDir,
    host: '127.0.0.1',
    port: 0,
    timezone: 'UTC',
    maxConcurrentRuns: 1,
    roles: new Set(['api', 'runner']),
    clock: systemClock,
    logger: createLogger('error'),
    pollIntervalMs: 50,
  });
  const tide: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const action = i % 2 === 0 ? 'deploy' : 'destroy';
    const t = Date.now();
    const { id } = JSON.parse(
      (await daemon.app!.inject({ method: 'POST', url: `/api/v1/workspaces/ws-0/${action}` })).body,
    ) as { id: string };
    for (;;) {
      const run = JSON.parse(
        (await daemon.app!.inject({ method: 'GET', url: `/api/v1/runs/${id}` })).body,
      ) as { state: string };
      if (!['queued', 'running'].includes(run.state)) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (action === 'deploy') tide.push(Date.now() - t);
  }
  await daemon.close(1000);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    JSON.stringify({
      benchmark: 'ratio',
      engine,
      repeats,
      by_hand_median_ms: median(byHand),
      tide_deploy_median_ms: median(tide),
      ratio: Number((median(tide) / median(byHand)).toFixed(2)),
    }),
  );
  rmSync(config, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}

const which = process.argv[2] ?? 'all';
if (which === 'lag' || which === 'all') {
  await lag(1000, 30);
  await lag(10_000, 30);
}
if (which === 'memory' || which === 'all') await memory(10_000);
if (which === 'ratio' || which === 'all') await ratio(6);
