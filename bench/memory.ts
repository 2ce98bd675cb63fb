/**
 * Resident memory of a spawned `tide serve` with every workspace loaded, read from /proc/<pid>/status
 * after a reload burst: `reloadFiles` workspaces' config.json rewritten at once, and every change visible
 * in the API, so the figure includes what a reload keeps alive and not only an idle start. Meanwhile a
 * client asks `GET /api/health/live` back to back: the longest answer is how long the server, a separate
 * process here, did not answer during the burst.
 */
import {
  adminHttp,
  longestAnswer,
  ms,
  pollUntil,
  quietWorkspace,
  removeAll,
  spawnServe,
  writeConfigDir,
  writeWorkspacesAside,
  type CaseResult,
  type Sizes,
} from './common.ts';

export async function memory(sizes: Sizes): Promise<CaseResult> {
  const now = new Date();
  const configDir = writeConfigDir(sizes.workspaces, (i) => quietWorkspace(i, now));
  const serve = await spawnServe(configDir);
  try {
    const idle = serve.memory();
    const api = await adminHttp(serve.url, serve.dataDir);
    const edited = Math.min(sizes.reloadFiles, sizes.workspaces);
    const description = 'rewritten by the bench reload burst';
    const shows = async (i: number) =>
      (await api.json<{ description: string }>(`/api/v1/workspaces/ws-${i}`)).description === description;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    // From another process, the longest time the server did not answer while it reloaded the burst.
    const probe = longestAnswer(api.agent, `${serve.url}/api/health/live`, finished);
    const started = performance.now();
    await writeWorkspacesAside(
      configDir,
      Array.from({ length: edited }, (_, i) => ({ i, config: { ...quietWorkspace(i, now), description } })),
    );
    await pollUntil('the reload burst in the API', () => shows(edited - 1), 20);
    for (let i = 0; i < edited; i++) {
      await pollUntil(`ws-${i}'s reloaded description`, () => shows(i), 20);
    }
    const visibleMs = performance.now() - started;
    done();
    const longest = await probe;
    api.close();
    const after = serve.memory();
    return {
      figures: {
        workspaces: sizes.workspaces,
        reloaded_files: edited,
        burst_visible_ms: Math.round(visibleMs),
        longest_answer_ms: Math.round(longest),
        rss_idle_mb: idle.rss_mb,
        rss_after_reload_mb: after.rss_mb,
        peak_rss_mb: after.hwm_mb,
      },
      rows: [
        {
          row: `RSS of tide serve, ${sizes.workspaces} workspaces, after reloading ${edited} files`,
          goal: '≤ 200 MB',
          measured: `${after.rss_mb} MB (idle ${idle.rss_mb} MB, peak ${after.hwm_mb} MB)`,
          pass: after.rss_mb <= 200,
        },
        {
          row: `reload burst in tide serve (${edited} files, all visible after ${ms(visibleMs)}): longest API answer meanwhile`,
          goal: '≤ 50 ms',
          measured: ms(longest),
          pass: longest <= 50,
        },
      ],
    };
  } finally {
    await serve.stop();
    removeAll(configDir);
  }
}
