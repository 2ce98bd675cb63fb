/**
 * Requests a second of `GET /api/v1/workspaces/{name}` (authenticated, over keep-alive HTTP) against a bare
 * Fastify route in the same process answering the identical JSON body: the ratio is what Tide's request
 * path (authentication, rate-limit rules, audit hooks, the workspace view) costs over Fastify itself.
 * Rounds alternate Tide and the baseline so load from elsewhere on the machine weighs on both.
 */
import http from 'node:http';
import Fastify from 'fastify';
import { expect2xx, httpRequest, loopDelay, type CaseResult, type LoadedTide, type Sizes } from './common.ts';

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
  const bare = Fastify();
  bare.get('/api/v1/workspaces/:name', (_request, reply) => reply.type(answer.contentType).send(answer.body));
  const bareUrl = `${await bare.listen({ host: '127.0.0.1', port: 0 })}/api/v1/workspaces/${name}`;
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
    const delay = loopDelay();
    const onTide = await load(tideUrl, auth, sizes.connections, roundMs);
    eldMax = Math.max(eldMax, delay.stop().eld_max_ms);
    const onBare = await load(bareUrl, auth, sizes.connections, roundMs);
    totals.tide.requests += onTide.requests;
    totals.tide.seconds += onTide.seconds;
    totals.bare.requests += onBare.requests;
    totals.bare.seconds += onBare.seconds;
  }
  await bare.close();
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
