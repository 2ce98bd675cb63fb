import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const dir = mkdtempSync(path.join(tmpdir(), 'tide-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Report {
  readonly machine: Record<string, unknown>;
  readonly results: Record<string, { figures: Record<string, unknown> }>;
  readonly rows: { row: string; goal: string; measured: string; pass: boolean }[];
}

// Only that every case still runs end to end and reports its figures: smoke sizes say nothing about speed,
// so no figure is compared with its goal here.
describe('npm run bench -- --smoke (real daemon, spawned tide serve, real engine; fake engine for lag and burst)', () => {
  it("runs every case at tiny sizes, every request and run checked, reports every row of the table, and summarizes each server's CPU profile", async () => {
    const json = path.join(dir, 'report.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/run.ts',
        '--smoke',
        '--json',
        json,
        '--cpu-profile',
        path.join(dir, 'profiles'),
      ],
      { cwd: root, maxBuffer: 16 * 2 ** 20 },
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(Object.keys(report.results).sort()).toEqual([
      'api-throughput',
      'burst',
      'hot-reload',
      'lag',
      'list-latency',
      'memory',
      'ratio',
      'startup',
    ]);
    expect(report.results['lag']!.figures['runs']).toBeGreaterThan(0);
    expect(report.results['burst']!.figures['runs_succeeded']).toBe(20);
    expect(report.rows.map((row) => row.row.split(/[,(]/)[0]!.trim())).toEqual([
      'GET /api/v1/workspaces/{name} req/s vs bare Fastify',
      'GET /api/v1/workspaces?limit=500 at 20 workspaces',
      'hot reload',
      'hot reload: longest API answer meanwhile',
      'start-up',
      'RSS of tide serve',
      'reload burst in tide serve',
      'schedule lag p99',
      '20 workspaces due at one instant',
      'burst: instant → first engine spawn',
      'a Tide deploy / the same init+plan+apply by hand',
      'event loop blocked',
    ]);
    for (const row of report.rows) expect(row.measured).toMatch(/\d/);
    expect(report.machine).toMatchObject({ cpus: expect.any(Number), node: process.version });
    expect(stdout).toContain('| Measure | Goal | Measured | |');
    // --cpu-profile: each spawned server's profile, summarized (the shared one and one per other case).
    for (const folder of ['shared', 'startup', 'memory', 'lag', 'burst', 'ratio']) {
      expect(stdout).toMatch(new RegExp(`\\n${folder}/[^\\n]+\\.cpuprofile: main thread busy \\d+ ms`));
    }
  }, 300_000);
});
