/**
 * Runner throughput, a burst beyond capacity: `burst` workspaces all due at the same instant with `slots`
 * concurrent runs (TIDE_MAX_CONCURRENT_RUNS) and the fake engine. Every firing must become a run that
 * succeeds (none lost); measured are instant → first engine spawn and instant → last run finished.
 */
import {
  expectRunsSucceeded,
  ms,
  pollUntil,
  readSpawns,
  serveWithFakeEngine,
  writeConfigDir,
  type CaseResult,
  type Sizes,
} from './common.ts';

/** A six-field cron expression (seconds first) that matches exactly `at`'s second, in UTC. */
function cronAt(at: Date): string {
  return `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
}

export async function burst(sizes: Sizes, leadMs = 5000): Promise<CaseResult> {
  const instant = new Date(Math.ceil((Date.now() + leadMs) / 1000) * 1000);
  const configDir = writeConfigDir(sizes.burst, () => ({ enabled: true, deploy_schedule: cronAt(instant) }));
  const tide = await serveWithFakeEngine(configDir, sizes.slots);
  if (Date.now() > instant.getTime() - 500) {
    // Started too late to see the instant come: again, with twice the lead (no figure comes from this try).
    await tide.close();
    return burst(sizes, leadMs * 2);
  }
  const delay = await tide.serve.loopDelay();
  type Row = { id: string | null; state: string | null; outcome: string; finished_at: string | null };
  const recorded = tide.store.prepare<[], Row>(
    `select r.id, r.state, f.outcome, r.finished_at from firings f left join runs r on f.run_id = r.id`,
  );
  let rows: Row[] = [];
  await pollUntil(
    `${sizes.burst} burst runs to finish`,
    () => {
      rows = recorded.all();
      return (
        rows.length === sizes.burst && rows.every((row) => row.state !== 'queued' && row.state !== 'running')
      );
    },
    50,
  );
  const { eld_max_ms: eldMax } = await delay.stop();
  const spawns = readSpawns(tide.engine.spawnsLog);
  await tide.close();
  const lost = rows.filter((row) => row.outcome !== 'fired' || row.id === null);
  if (lost.length > 0) {
    throw new Error(
      `bench: burst: ${lost.length} of ${sizes.burst} firings did not become a run (${lost[0]!.outcome})`,
    );
  }
  expectRunsSucceeded(new Map(rows.map((row) => [row.id!, row.state!])), 'burst');
  if (spawns.size !== sizes.burst)
    throw new Error(`bench: burst: ${spawns.size} of ${sizes.burst} runs spawned`);
  const firstSpawnMs = Math.min(...spawns.values()) - instant.getTime();
  const drainMs = Math.max(...rows.map((row) => Date.parse(row.finished_at!))) - instant.getTime();
  return {
    figures: {
      workspaces: sizes.burst,
      slots: sizes.slots,
      runs_succeeded: rows.length,
      first_spawn_ms: firstSpawnMs,
      drain_ms: drainMs,
      runs_per_second: Number(((rows.length * 1000) / drainMs).toFixed(1)),
      eld_max_ms: eldMax,
    },
    rows: [
      {
        row: `${sizes.burst} workspaces due at one instant, ${sizes.slots} run slots: all run, none lost`,
        goal: `${sizes.burst} succeeded`,
        measured: `${rows.length} succeeded, drained in ${ms(drainMs)}`,
        pass: true,
      },
      {
        row: `burst: instant → first engine spawn`,
        goal: '≤ 250 ms',
        measured: ms(firstSpawnMs),
        pass: firstSpawnMs <= 250,
      },
    ],
  };
}
