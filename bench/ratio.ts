/**
 * A Tide deploy against the same `init` + `plan -out` + `apply <plan>` by hand, with the real engine, on a
 * trivial `terraform_data` workspace. Tide's run goes through the API of a spawned `tide serve` (queue,
 * claim, fresh working directory, the same commands against Tide's state backend, outputs read from the
 * stored state, log storage, status updates) and is timed from the request to the `run.updated` event
 * that says it ended, as a client following it live sees it (no polling load on the server). One by-hand
 * run and one Tide deploy alternate, so both see the same machine; a destroy run (not timed) between two
 * deploys takes the workspace down again. Every run must succeed. A third side, the same by hand but with
 * its state in Tide's http backend (a run claimed by the bench lends its credential), shows what the
 * backend itself costs.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  adminHttp,
  median,
  ms,
  removeAll,
  scratch,
  spawnServe,
  trivialTf,
  writeConfigDir,
  type CaseResult,
  type CheckedHttp,
  type Sizes,
} from './common.ts';
import { connectEvents, type EventClient } from '../test/helpers/event-client.ts';
import { claimNextQueued, insertRun } from '../src/run/run.repo.ts';
import type { RunView } from '../src/run/run-view.ts';
import { StateCredentials } from '../src/state/state-credential.ts';
import { stateBackendPath, stateKeyOf } from '../src/state/state-key.ts';
import { openDatabase, type Store } from '../src/store/database.ts';
import { inTransaction } from '../src/store/dialect.ts';
import { systemClock } from '../src/time/clock.ts';

export function engineBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v tofu || command -v terraform'], { encoding: 'utf8' });
  const engine = found.stdout.trim();
  if (!engine) throw new Error('bench: neither tofu nor terraform is on PATH');
  return engine;
}

const execFileAsync = promisify(execFile);

/** Where by-hand runs keep their state: a local file, or Tide's http backend with a run's credential. */
interface HttpState {
  readonly address: string;
  readonly username: string;
  readonly password: string;
}

/** `init + plan + apply` by hand; throws if a step fails. */
async function byHand(engine: string, state?: HttpState): Promise<number> {
  const dir = scratch('hand');
  writeFileSync(path.join(dir, 'main.tf'), trivialTf);
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1' };
  if (state) {
    // The block Tide writes (src/engine/workdir.ts), so both sides differ only in who starts the engine.
    const address = JSON.stringify(state.address);
    writeFileSync(
      path.join(dir, 'backend.tf'),
      `terraform {\n  backend "http" {\n    address = ${address}\n    lock_address = ${address}\n    unlock_address = ${address}\n    retry_max = 5\n  }\n}\n`,
    );
    Object.assign(env, { TF_HTTP_USERNAME: state.username, TF_HTTP_PASSWORD: state.password });
  }
  const started = performance.now();
  for (const args of [
    ['init', '-input=false', '-no-color'],
    ['plan', '-input=false', '-no-color', '-out=p'],
    ['apply', '-input=false', '-no-color', 'p'],
  ]) {
    await execFileAsync(engine, args, { cwd: dir, env });
  }
  const elapsed = performance.now() - started;
  removeAll(dir);
  return elapsed;
}

/** Queues `action` on ws-0 and waits for its end; returns request → end, throws unless it succeeded. */
async function tideRun(api: CheckedHttp, events: EventClient, action: 'deploy' | 'destroy'): Promise<number> {
  const started = performance.now();
  const { id } = await api.json<{ id: string }>(`/api/v1/workspaces/ws-0/${action}`, { method: 'POST' });
  const ended = await events.next((message) => {
    const run = message.type === 'run.updated' ? (message.run as RunView) : null;
    return run?.id === id && run.state !== 'queued' && run.state !== 'running';
  }, 600_000);
  const run = ended.run as RunView;
  if (run.state !== 'succeeded') {
    throw new Error(`bench: ratio: ${action} run ${id} ended ${run.state} (${run.reason ?? 'no reason'})`);
  }
  return performance.now() - started;
}

/**
 * Tide's state backend for a by-hand run of workspace `workspace`: a run of it, claimed by the bench (in
 * the transaction that queues it, so the runner never sees it queued), and that claim's credential.
 */
async function claimedState(
  url: string,
  store: Store,
  credentials: StateCredentials,
  workspace: string,
): Promise<HttpState> {
  const claim = await inTransaction(store.db, async (trx) => {
    await insertRun(trx, {
      id: randomUUID(),
      workspace,
      action: 'deploy',
      trigger: 'manual',
      created_at: new Date(),
    });
    return claimNextQueued(trx, { owner: 'bench-by-hand', leaseMs: 60 * 60_000, clock: systemClock });
  });
  if (claim?.workspace !== workspace) throw new Error(`bench: ratio: could not claim a run of ${workspace}`);
  const { username, password } = credentials.issue(claim);
  return { address: `${url}${stateBackendPath(stateKeyOf(claim))}`, username, password };
}

export async function ratio(sizes: Sizes): Promise<CaseResult> {
  const engine = engineBinary();
  // ws-0 for Tide's deploys; ws-1… one per by-hand run against Tide's state backend, each from no state.
  const configDir = writeConfigDir(1 + sizes.repeats, () => ({
    enabled: true,
    deploy_schedule: '0 0 1 1 *',
  }));
  const jwtSecret = randomBytes(48).toString('base64url');
  const serve = await spawnServe(configDir, {
    TIDE_TOFU_BIN: engine,
    TIDE_MAX_CONCURRENT_RUNS: '1',
    TIDE_JWT_SECRET: jwtSecret,
  });
  // The server's own credential key (src/state/state-services.ts), as a runner of this cluster holds it.
  const credentials = new StateCredentials(new TextEncoder().encode(jwtSecret));
  // The server's own SQLite file, as a second writer (WAL and its busy timeout keep both safe).
  const store = await openDatabase({ dataDir: serve.dataDir });
  const api = await adminHttp(serve.url, serve.dataDir);
  const events = await connectEvents(`${serve.url.replace(/^http/, 'ws')}/api/v1/events`, {
    headers: { authorization: `Bearer ${api.token}` },
  });
  const hand: number[] = [];
  const handHttp: number[] = [];
  const tide: number[] = [];
  try {
    await events.next((message) => message.type === 'hello');
    events.send({ subscribe: { workspaces: ['ws-0'], types: ['run.updated'] } });
    await events.next((message) => message.type === 'subscribed');
    for (let i = 0; i < sizes.repeats; i++) {
      hand.push(await byHand(engine));
      handHttp.push(await byHand(engine, await claimedState(serve.url, store, credentials, `ws-${i + 1}`)));
      tide.push(await tideRun(api, events, 'deploy'));
      await tideRun(api, events, 'destroy');
    }
  } finally {
    events.socket.close();
    api.close();
    await store.close();
    await serve.stop();
    removeAll(configDir);
  }
  const value = median(tide) / median(hand);
  return {
    figures: {
      engine,
      repeats: sizes.repeats,
      by_hand_median_ms: Math.round(median(hand)),
      by_hand_tide_state_median_ms: Math.round(median(handHttp)),
      tide_deploy_median_ms: Math.round(median(tide)),
      ratio: Number(value.toFixed(2)),
      ratio_to_by_hand_tide_state: Number((median(tide) / median(handHttp)).toFixed(2)),
    },
    rows: [
      {
        row: `a Tide deploy / the same init+plan+apply by hand, real engine (median of ${sizes.repeats})`,
        goal: '≤ 1.10',
        measured: `${value.toFixed(2)} (${ms(median(tide))} vs ${ms(median(hand))}; by hand with Tide's state backend ${ms(median(handHttp))})`,
        pass: value <= 1.1,
      },
    ],
  };
}
