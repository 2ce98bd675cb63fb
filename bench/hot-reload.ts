/**
 * Hot reload with every workspace loaded: one workspace's config.json gets a new description, and the time
 * until `GET /api/v1/workspaces/{name}` shows it is the reload's latency. Meanwhile a client asks
 * `GET /api/health/live` back to back (the longest answer: how long the API did not answer) and the
 * server's event-loop delay is recorded (how long anything at all waited). Median over `repeats` edits.
 */
import http from 'node:http';
import {
  longestAnswer,
  median,
  ms,
  pollUntil,
  quietWorkspace,
  writeWorkspace,
  type CaseResult,
  type LoadedTide,
  type Sizes,
} from './common.ts';

export async function hotReload(tide: LoadedTide, sizes: Sizes): Promise<CaseResult> {
  const visible: number[] = [];
  let longest = 0;
  let eldMax = 0;
  const agent = new http.Agent({ keepAlive: true });
  for (let edit = 0; edit < Math.max(2, sizes.repeats); edit++) {
    const i = (edit * 7919 + 1) % tide.workspaces;
    const description = `reloaded by the bench, edit ${edit}`;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const delay = await tide.serve.loopDelay();
    const probe = longestAnswer(agent, `${tide.api.baseUrl}/api/health/live`, finished);
    const started = performance.now();
    writeWorkspace(tide.configDir, i, { ...quietWorkspace(i), description });
    await pollUntil(
      `ws-${i}'s new description in the API`,
      async () => {
        const view = await tide.api.json<{ description: string }>(`/api/v1/workspaces/ws-${i}`);
        return view.description === description;
      },
      5,
    );
    visible.push(performance.now() - started);
    done();
    longest = Math.max(longest, await probe);
    eldMax = Math.max(eldMax, (await delay.stop()).eld_max_ms);
  }
  agent.destroy();
  const p50 = median(visible);
  return {
    figures: {
      workspaces: tide.workspaces,
      edits: visible.length,
      visible_median_ms: Math.round(p50),
      visible_max_ms: Math.round(Math.max(...visible)),
      longest_answer_ms: Math.round(longest),
      eld_max_ms: eldMax,
    },
    rows: [
      {
        row: `hot reload, write → visible in the API, ${tide.workspaces} workspaces (median of ${visible.length})`,
        goal: '≤ 1 s',
        measured: ms(p50),
        pass: p50 <= 1000,
      },
      {
        row: 'hot reload: longest API answer meanwhile (GET /api/health/live back to back)',
        goal: '≤ 50 ms',
        measured: ms(longest),
        pass: longest <= 50,
      },
    ],
  };
}
