/**
 * Start-up as users run it: `node bin/tide.js serve` (compiled dist/) spawned on a generated configuration
 * directory with SQLite in a fresh data directory, timed from spawn to the first `GET /api/health/ready`
 * that answers 200 (every role up: configuration loaded, migrated, scheduler and runner running).
 */
import {
  ms,
  quietWorkspace,
  removeAll,
  spawnServe,
  writeConfigDir,
  type CaseResult,
  type ServeProcess,
  type Sizes,
} from './common.ts';

export async function startup(sizes: Sizes): Promise<CaseResult> {
  const now = new Date();
  const configDir = writeConfigDir(sizes.workspaces, (i) => quietWorkspace(i, now));
  let serve: ServeProcess;
  let rssMb: number;
  try {
    serve = await spawnServe(configDir);
    rssMb = serve.memory().rss_mb;
    await serve.stop();
  } finally {
    removeAll(configDir);
  }
  return {
    figures: { workspaces: sizes.workspaces, ready_ms: Math.round(serve.readyMs), rss_at_ready_mb: rssMb },
    rows: [
      {
        row: `start-up, spawn → ready, ${sizes.workspaces} workspaces`,
        goal: '≤ 3 s',
        measured: ms(serve.readyMs),
        pass: serve.readyMs <= 3000,
      },
    ],
  };
}
