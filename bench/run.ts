/**
 * `npm run bench [-- <case>…] [--smoke] [--workspaces N] [--seconds S] [--repeats R] [--burst N]
 * [--slots N] [--reload-files N] [--connections N] [--duration-ms MS] [--firings-per-second F] [--lag-period S]
 * [--json FILE] [--cpu-profile DIR]`
 *
 * Cases (one file each): api-throughput, list-latency, hot-reload, startup, memory, lag, burst, ratio;
 * none named runs them all. Each prints one JSON line of figures as it ends; at the end a table: row, goal,
 * measured, pass/fail, with the machine's load, CPU count, Node, engine and commit. `--smoke` runs every
 * case at tiny sizes to check the bench itself (test/bench-smoke.test.ts); its figures mean nothing.
 *
 * What is timed must have worked: API requests are authenticated as the first admin and must answer 2xx,
 * and every measured run must end `succeeded`; anything else stops the bench with an error (exit 1). A
 * figure that misses its goal is reported, not an error. docs/benchmarks.md holds a full run's output.
 *
 * `--cpu-profile DIR` has every spawned server write its CPU profile (node --cpu-prof) under DIR/<case>
 * (DIR/shared for the server the first three cases share) and prints each profile's busiest functions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { apiThroughput } from './api-throughput.ts';
import { burst } from './burst.ts';
import {
  loadedTide,
  profiling,
  root,
  type CaseResult,
  type LoadedTide,
  type Row,
  type Sizes,
} from './common.ts';
import { summarizeCpuProfile } from './cpu-profile-summary.ts';
import { hotReload } from './hot-reload.ts';
import { lag } from './lag.ts';
import { listLatency } from './list-latency.ts';
import { memory } from './memory.ts';
import { engineBinary, ratio } from './ratio.ts';
import { startup } from './startup.ts';

const onLoadedTide = {
  'api-throughput': apiThroughput,
  'list-latency': listLatency,
  'hot-reload': hotReload,
};
const standalone = { startup, memory, lag, burst, ratio };
type CaseName = keyof typeof onLoadedTide | keyof typeof standalone;
const allCases: CaseName[] = [
  'api-throughput',
  'list-latency',
  'hot-reload',
  'startup',
  'memory',
  'lag',
  'burst',
  'ratio',
];

const full: Sizes = {
  workspaces: 10_000,
  seconds: 60,
  repeats: 6,
  burst: 500,
  slots: 4,
  reloadFiles: 1000,
  connections: 16,
  durationMs: 10_000,
  firingsPerSecond: 2,
  lagPeriod: 60,
};
const smoke: Sizes = {
  workspaces: 20,
  seconds: 5,
  repeats: 1,
  burst: 20,
  slots: 4,
  reloadFiles: 10,
  connections: 2,
  durationMs: 1000,
  firingsPerSecond: 2,
  lagPeriod: 4,
};

const flags = {
  workspaces: 'workspaces',
  seconds: 'seconds',
  repeats: 'repeats',
  burst: 'burst',
  slots: 'slots',
  'reload-files': 'reloadFiles',
  connections: 'connections',
  'duration-ms': 'durationMs',
  'firings-per-second': 'firingsPerSecond',
  'lag-period': 'lagPeriod',
} as const satisfies Record<string, keyof Sizes>;

const { values: options, positionals } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    json: { type: 'string' },
    'cpu-profile': { type: 'string' },
    ...Object.fromEntries(Object.keys(flags).map((flag) => [flag, { type: 'string' as const }])),
  },
  allowPositionals: true,
});

const unknown = positionals.filter((name) => !(allCases as string[]).includes(name));
if (unknown.length > 0) {
  throw new Error(`bench: unknown case "${unknown.join('", "')}" (${allCases.join(', ')})`);
}
const cases = positionals.length > 0 ? (positionals as CaseName[]) : allCases;

const sizes: Sizes = { ...(options.smoke ? smoke : full) };
for (const [flag, key] of Object.entries(flags)) {
  const text = (options as unknown as Record<string, string | undefined>)[flag];
  if (text === undefined) continue;
  const value = Number(text);
  if (!(value > 0) || (key !== 'firingsPerSecond' && !Number.isInteger(value))) {
    throw new Error(`bench: --${flag} wants a positive number, got "${text}"`);
  }
  (sizes as Record<keyof Sizes, number>)[key] = value;
}

function text(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : 'unknown';
}

const engine = engineBinary();
const machine = {
  date: new Date().toISOString(),
  commit: `${text('git', ['rev-parse', '--short', 'HEAD'])}${text('git', ['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : ''}`,
  node: process.version,
  engine: `${engine} ${/"terraform_version":\s*"([^"]+)"/.exec(text(engine, ['version', '-json']))?.[1] ?? 'unknown version'}`,
  cpus: os.cpus().length,
  memory_gib: Math.round(os.totalmem() / 2 ** 30),
  load_before: os.loadavg().map((load) => Number(load.toFixed(2))),
  command: `npm run bench --${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
};

// Every case spawns `tide serve` from dist/ as users run it: compiled from this checkout's src/ first if
// it is older.
execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });

const results: Partial<Record<CaseName, CaseResult>> = {};
const started = performance.now();
function report(name: CaseName, result: CaseResult): void {
  results[name] = result;
  console.log(JSON.stringify({ case: name, ...result.figures }));
}

// These cases share one `tide serve` with every workspace loaded: loading 10,000 is start-up's figure.
const profileRoot = options['cpu-profile'] ? path.resolve(options['cpu-profile']) : null;
function profileInto(folder: string): void {
  if (!profileRoot) return;
  profiling.dir = path.join(profileRoot, folder);
  mkdirSync(profiling.dir, { recursive: true });
}
let tide: LoadedTide | null = null;
for (const name of cases) {
  if (name in onLoadedTide) {
    if (!tide) profileInto('shared');
    tide ??= await loadedTide(sizes.workspaces);
    report(name, await onLoadedTide[name as keyof typeof onLoadedTide](tide, sizes));
  }
}
await tide?.close();
for (const name of cases) {
  if (!(name in standalone)) continue;
  profileInto(name);
  report(name, await standalone[name as keyof typeof standalone](sizes));
}

const rows: Row[] = cases.flatMap((name) => results[name]!.rows);
// Read from the server's own monitorEventLoopDelay (GET /metrics) during each case that reports it.
const blocking = cases.filter((name) => results[name]!.figures.eld_max_ms !== undefined);
if (blocking.length > 0) {
  const worst = Math.max(...blocking.map((name) => Number(results[name]!.figures.eld_max_ms)));
  rows.push({
    row: `event loop blocked, max (tide serve's monitorEventLoopDelay during ${blocking.join(', ')}; ${sizes.workspaces} workspaces)`,
    goal: '≤ 50 ms',
    measured: `${worst} ms`,
    pass: worst <= 50,
  });
}
const finished = {
  load_after: os.loadavg().map((load) => Number(load.toFixed(2))),
  minutes: Number(((performance.now() - started) / 60_000).toFixed(1)),
};

const escape = (cell: string) => cell.replaceAll('|', '\\|');
console.log(
  [
    '',
    `${machine.command} — ${machine.date}, commit ${machine.commit}`,
    `${machine.cpus} CPUs, ${machine.memory_gib} GiB, Node ${machine.node}, ${machine.engine}; load average ` +
      `(1, 5, 15 min) ${machine.load_before.join(', ')} before, ${finished.load_after.join(', ')} after; ` +
      `${finished.minutes} min`,
    '',
    '| Measure | Goal | Measured | |',
    '|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${escape(row.row)} | ${escape(row.goal)} | ${escape(row.measured)} | ${row.pass ? 'pass' : 'FAIL'} |`,
    ),
  ].join('\n'),
);
if (profileRoot) {
  for (const folder of readdirSync(profileRoot)) {
    for (const file of readdirSync(path.join(profileRoot, folder)).filter((f) => f.endsWith('.cpuprofile'))) {
      const summary = summarizeCpuProfile(path.join(profileRoot, folder, file));
      console.log(
        `\n${folder}/${file}: main thread busy ${summary.busy_ms} ms; self time, share of busy samples:`,
      );
      for (const { share, at } of summary.top) console.log(`  ${share.toFixed(1).padStart(5)}%  ${at}`);
    }
  }
}
if (options.json) {
  writeFileSync(
    options.json,
    `${JSON.stringify({ machine: { ...machine, ...finished }, sizes, results, rows }, null, 2)}\n`,
  );
}
