/**
 * Requests `GET /api/v1/workspaces/{name}` (authenticated, over keep-alive HTTP) from `tide serve` and from a
 * bare Fastify route answering the identical JSON body (bench/bare-fastify.ts), each a process of its own,
 * the load generator being this one: the ratio is what Tide's request path (authentication, rate-limit
 * rules, audit hooks, the workspace view) costs over Fastify itself. Rounds alternate Tide and the
 * baseline so load from elsewhere on the machine weighs on both.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  expect2xx,
  httpRequest,
  removeAll,
  root,
  scratch,
  type CaseResult,
  type LoadedTide,
  type Sizes,
} from './common.ts';

interface Load {
  readonly requests: number;
  readonly seconds: number;
}

/** `connections` clients, each sending its next request when the previous answer arrived, for `durationMs`. */
async function load(
  url: string,
  headers: Record<string, string>,
  connections: number,
  durationMs: number,
): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let requests = 0;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        expect2xx(await httpRequest(agent, url, { headers }), `GET ${url}`);
        requests++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests, seconds };
}

export async function apiThroughput(tide: LoadedTide, sizes: Sizes): Promise<CaseResult> {
  const name = `ws-${Math.floor(tide.workspaces / 2)}`;
  const tideUrl = `${tide.api.baseUrl}/api/v1/workspaces/${name}`;
  const answer = await tide.api.request(`/api/v1/workspaces/${name}`);
  const dir = scratch('bare');
  const bodyFile = path.join(dir, 'body.json');
  writeFileSync(bodyFile, answer.body);
  // This process's loader flags (tsx) run the baseline's TypeScript as they run the bench.
  const bare = spawn(
    process.execPath,
    [...process.execArgv, path.join(root, 'bench/bare-fastify.ts'), bodyFile, answer.contentType],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const listening = await new Promise<string>((resolve, reject) => {
    bare.stdout!.once('data', (line: Buffer) => resolve(line.toString('utf8').trim()));
    bare.once('exit', (code) => reject(new Error(`bench: api-throughput: the baseline exited ${code}`)));
  });
  const bareUrl = `${listening}/api/v1/workspaces/${name}`;
  const bareAnswer = await httpRequest(new http.Agent(), bareUrl);
  if (bareAnswer.body !== answer.body) throw new Error('bench: api-throughput: the baseline body differs');
  const auth = { authorization: `Bearer ${tide.api.token}` };
  const rounds = 2;
  const roundMs = sizes.durationMs / rounds;
  // Warm-up: JIT and connection set-up are not what either figure is about.
  await load(tideUrl, auth, sizes.connections, Math.min(1000, roundMs));
  await load(bareUrl, auth, sizes.connections, Math.min(1000, roundMs));
  const totals = { tide: { requests: 0, seconds: 0 }, bare: { requests: 0, seconds: 0 } };
  let eldMax = 0;
  for (let round = 0; round < rounds; round++) {
    const delay = await tide.serve.loopDelay();
    const onTide = await load(tideUrl, auth, sizes.connections, roundMs);
    eldMax = Math.max(eldMax, (await delay.stop()).eld_max_ms);
    const onBare = await load(bareUrl, auth, sizes.connections, roundMs);
    totals.tide.requests += onTide.requests;
    totals.tide.seconds += onTide.seconds;
    totals.bare.requests += onBare.requests;
    totals.bare.seconds += onBare.seconds;
  }
  bare.kill('SIGTERM');
  await once(bare, 'exit');
  removeAll(dir);
  const tideRps = totals.tide.requests / totals.tide.seconds;
  const bareRps = totals.bare.requests / totals.bare.seconds;
  const ratio = tideRps / bareRps;
  return {
    figures: {
      workspaces: tide.workspaces,
      connections: sizes.connections,
      seconds_each: Number(totals.tide.seconds.toFixed(1)),
      body_bytes: answer.body.length,
      tide_rps: Math.round(tideRps),
      bare_fastify_rps: Math.round(bareRps),
      ratio: Number(ratio.toFixed(3)),
      eld_max_ms: eldMax,
    },
    rows: [
      {
        row: `GET /api/v1/workspaces/{name} req/s vs bare Fastify, same JSON (${tide.workspaces} workspaces)`,
        goal: '≥ 0.5',
        measured: `${ratio.toFixed(3)} (${Math.round(tideRps)} vs ${Math.round(bareRps)} req/s)`,
        pass: ratio >= 0.5,
      },
    ],
  };
}
