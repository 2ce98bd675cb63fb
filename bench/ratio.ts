/**
 * A Tide deploy against the same `init` + `plan -out` + `apply <plan>` by hand, with the real engine, on a
 * trivial `terraform_data` workspace. Tide's run goes through the API (queue, claim, fresh working
 * directory, the same commands against Tide's state backend, outputs read from the stored state, log
 * storage, status updates) and is timed from the request to the run's end. One by-hand run and one Tide
 * deploy alternate, so both see the same machine; a destroy run (not timed) between two deploys takes the
 * workspace down again. Every run must succeed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  adminHttp,
  benchDaemon,
  median,
  ms,
  removeAll,
  scratch,
  trivialTf,
  writeConfigDir,
  type CaseResult,
  type CheckedHttp,
  type Sizes,
} from './common.ts';

export function engineBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v tofu || command -v terraform'], { encoding: 'utf8' });
  const engine = found.stdout.trim();
  if (!engine) throw new Error('bench: neither tofu nor terraform is on PATH');
  return engine;
}

/** `init + plan + apply` by hand; throws if a step fails. */
function byHand(engine: string): number {
  const dir = scratch('hand');
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
  removeAll(dir);
  return elapsed;
}

/** Queues `action` on ws-0 and waits for its end; returns request → end, throws unless it succeeded. */
async function tideRun(api: CheckedHttp, action: 'deploy' | 'destroy'): Promise<number> {
  const started = performance.now();
  const { id } = await api.json<{ id: string }>(`/api/v1/workspaces/ws-0/${action}`, { method: 'POST' });
  let run: { state: string; reason?: string | null };
  do {
    await new Promise((resolve) => setTimeout(resolve, 5));
    run = await api.json(`/api/v1/runs/${id}`);
  } while (run.state === 'queued' || run.state === 'running');
  if (run.state !== 'succeeded') {
    throw new Error(`bench: ratio: ${action} run ${id} ended ${run.state} (${run.reason ?? 'no reason'})`);
  }
  return performance.now() - started;
}

export async function ratio(sizes: Sizes): Promise<CaseResult> {
  const engine = engineBinary();
  const configDir = writeConfigDir(1, () => ({ enabled: true, deploy_schedule: '0 0 1 1 *' }));
  const { daemon, dataDir } = await benchDaemon(configDir, {
    tofuBin: engine,
    maxConcurrentRuns: 1,
    roles: new Set(['api', 'runner']),
  });
  const api = await adminHttp(daemon.url!, dataDir);
  const hand: number[] = [];
  const tide: number[] = [];
  try {
    for (let i = 0; i < sizes.repeats; i++) {
      hand.push(byHand(engine));
      tide.push(await tideRun(api, 'deploy'));
      await tideRun(api, 'destroy');
    }
  } finally {
    api.close();
    await daemon.close(1000);
    removeAll(configDir, dataDir);
  }
  const value = median(tide) / median(hand);
  return {
    figures: {
      engine,
      repeats: sizes.repeats,
      by_hand_median_ms: Math.round(median(hand)),
      tide_deploy_median_ms: Math.round(median(tide)),
      ratio: Number(value.toFixed(2)),
    },
    rows: [
      {
        row: `a Tide deploy / the same init+plan+apply by hand, real engine (median of ${sizes.repeats})`,
        goal: '≤ 1.10',
        measured: `${value.toFixed(2)} (${ms(median(tide))} vs ${ms(median(hand))})`,
        pass: value <= 1.1,
      },
    ],
  };
}
