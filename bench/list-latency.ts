/**
 * `GET /api/v1/workspaces?limit=500` over HTTP with every workspace loaded: the page the dashboard asks for
 * first. Median of `repeats` requests after the first (cold) one; each must list 500 workspaces (or all).
 */
import { median, ms, type CaseResult, type LoadedTide, type Sizes } from './common.ts';

export async function listLatency(tide: LoadedTide, sizes: Sizes): Promise<CaseResult> {
  const expected = Math.min(500, tide.workspaces);
  const list = async () => {
    const started = performance.now();
    const page = await tide.api.json<{ items: unknown[] }>('/api/v1/workspaces?limit=500');
    const elapsed = performance.now() - started;
    if (page.items.length !== expected) {
      throw new Error(
        `bench: list-latency: the list returned ${page.items.length} workspaces, not ${expected}`,
      );
    }
    return elapsed;
  };
  // The first page after start-up computes every listed schedule anew: not in the median, but its effect on
  // the server's event loop counts.
  const delay = await tide.serve.loopDelay();
  await list();
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, sizes.repeats); i++) times.push(await list());
  const { eld_max_ms: eldMax } = await delay.stop();
  const p50 = median(times);
  return {
    figures: {
      workspaces: tide.workspaces,
      requests: times.length,
      listed: expected,
      median_ms: Math.round(p50),
      max_ms: Math.round(Math.max(...times)),
      eld_max_ms: eldMax,
    },
    rows: [
      {
        row: `GET /api/v1/workspaces?limit=500 at ${tide.workspaces} workspaces (median of ${times.length})`,
        goal: '≤ 100 ms',
        measured: `${ms(p50)} (max ${ms(Math.max(...times))})`,
        pass: p50 <= 100,
      },
    ],
  };
}
