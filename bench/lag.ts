/**
 * Scheduling lag, below the runner's capacity: every workspace is loaded and scheduled, and a few of them
 * fire at `firingsPerSecond` (each deploys and destroys once per `lagPeriod` seconds), far below
 * `slots` concurrent runs of an engine that answers in milliseconds (bench/fake-engine.sh records when each
 * run's first engine process started). The lag is scheduled instant → that spawn, for firings after
 * start-up (start-up is its own case). Every firing due in the window must have a run, and every run must
 * succeed.
 */
import {
  expectRunsSucceeded,
  ms,
  percentile,
  pollUntil,
  quietWorkspace,
  readSpawns,
  serveWithFakeEngine,
  writeConfigDir,
  type CaseResult,
  type Sizes,
} from './common.ts';

export async function lag(sizes: Sizes): Promise<CaseResult> {
  // Every `period` seconds, each firing workspace deploys at its offset in the first half and destroys at
  // the same offset in the second half: `firingsPerSecond` firings every second, none of them a no-op once
  // the first deploy happened (a destroy of what is not deployed is skipped).
  const period = sizes.lagPeriod;
  if (60 % period !== 0 || period % 2 !== 0)
    throw new Error('bench: --lag-period must be even and divide 60');
  const firing = Math.min(sizes.workspaces, Math.max(1, Math.round((sizes.firingsPerSecond * period) / 2)));
  const offsetOf = (i: number) => Math.floor((i * period) / 2 / firing);
  const now = new Date();
  const configDir = writeConfigDir(sizes.workspaces, (i) =>
    i < firing
      ? {
          enabled: true,
          deploy_schedule: `${offsetOf(i)}-59/${period} * * * * *`,
          destroy_schedule: `${offsetOf(i) + period / 2}-59/${period} * * * * *`,
        }
      : quietWorkspace(i, now),
  );
  const tide = await serveWithFakeEngine(configDir, sizes.slots);
  const { serve, engine } = tide;
  // Whole seconds strictly after start-up, up to one second before the end: firings there are all due.
  const from = Math.floor(Date.now() / 1000) * 1000 + 1000;
  const delay = await serve.loopDelay();
  await new Promise((resolve) => setTimeout(resolve, sizes.seconds * 1000));
  const to = Math.floor(Date.now() / 1000) * 1000 - 1000;
  const { eld_max_ms: eldMax, eld_p99_ms: eldP99 } = await delay.stop();
  let due = 0;
  for (let second = from; second <= to; second += 1000) {
    const s = new Date(second).getUTCSeconds() % period;
    for (let i = 0; i < firing; i++) if (offsetOf(i) === s || offsetOf(i) + period / 2 === s) due++;
  }
  type Row = { id: string | null; state: string | null; scheduled_at: string; outcome: string };
  let inWindow: Row[] = [];
  const recorded = tide.store.prepare<[string], Row>(
    `select r.id, r.state, f.scheduled_at, f.outcome from firings f left join runs r on f.run_id = r.id
     where f.scheduled_at >= ?`,
  );
  // Waits for the window's firings to be recorded and their runs to end, however late: a late scheduler
  // shows in the figures, not as firings cut off by the end of the bench.
  await pollUntil(
    'the lag window’s firings to be recorded and their runs to end',
    async () => {
      inWindow = recorded
        .all(new Date(from).toISOString())
        .filter((row) => Date.parse(row.scheduled_at) <= to);
      return (
        inWindow.length >= due &&
        inWindow.every((row) => row.id === null || (row.state !== 'queued' && row.state !== 'running'))
      );
    },
    50,
    120_000,
  );
  const spawns = readSpawns(engine.spawnsLog);
  await tide.close();
  // A firing that is recorded but not `fired` (a destroy of a workspace that is not up is `skipped`) has no
  // run to time; one that is `missed`, or not recorded at all, was lost.
  const fired = inWindow.filter((row) => row.outcome === 'fired');
  const count = (outcome: string) => inWindow.filter((row) => row.outcome === outcome).length;
  const lost = inWindow.filter(
    (row) => row.outcome === 'missed' || (row.outcome === 'fired' && row.id === null),
  );
  if (inWindow.length !== due || lost.length > 0) {
    throw new Error(
      `bench: lag: ${due} firings were due in the window, ${inWindow.length} recorded, ${lost.length} lost`,
    );
  }
  expectRunsSucceeded(new Map(fired.map((row) => [row.id!, row.state!])), 'lag');
  const lags = fired.map((row) => {
    const spawned = spawns.get(row.id!);
    if (spawned === undefined)
      throw new Error(`bench: lag: run ${row.id} succeeded without spawning the engine`);
    return spawned - Date.parse(row.scheduled_at);
  });
  const p99 = percentile(lags, 99);
  return {
    figures: {
      workspaces: sizes.workspaces,
      firing_workspaces: firing,
      firings_per_second: Number(((firing * 2) / period).toFixed(2)),
      period_seconds: period,
      slots: sizes.slots,
      seconds: sizes.seconds,
      startup_ms: Math.round(serve.readyMs),
      due: due,
      skipped: count('skipped'),
      superseded: count('superseded'),
      runs: lags.length,
      p50_ms: percentile(lags, 50),
      p99_ms: p99,
      max_ms: Math.max(...lags),
      eld_max_ms: eldMax,
      eld_p99_ms: eldP99,
    },
    rows: [
      {
        row: `schedule lag p99, instant → engine spawned, ${sizes.workspaces} loaded, ${((firing * 2) / period).toFixed(1)} firings/s, ${lags.length} runs`,
        goal: '≤ 250 ms',
        measured: `${ms(p99)} (p50 ${ms(percentile(lags, 50))}, max ${ms(Math.max(...lags))})`,
        pass: p99 <= 250,
      },
    ],
  };
}
