import type { Readiness, ReadinessCheck } from '../api/api-deps.ts';
import type { Engine } from '../engine/engine.ts';
import { pingDatabase } from '../store/database.ts';
import type { Db } from '../store/schema.ts';
import type { SubsystemHealth } from '../supervisor/supervisor.ts';
import { formatDuration } from '../time/duration.ts';

export interface ReadinessSources {
  readonly db: Db;
  readonly migrated: () => boolean;
  readonly configLoaded: () => boolean;
  /** The background loops of this replica's roles (scheduler, claim loop, lease watch, …). */
  readonly subsystems: () => readonly SubsystemHealth[];
  /** The engine runs use; null when this replica has no runner role and found none. */
  readonly engine: () => Engine | null;
  readonly draining: () => boolean;
}

const databaseTimeoutMs = 2000;

async function databaseCheck(db: Db): Promise<ReadinessCheck> {
  try {
    await Promise.race([
      pingDatabase(db),
      new Promise((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within ${databaseTimeoutMs} ms`)),
          databaseTimeoutMs,
        ).unref(),
      ),
    ]);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

/** Up is ready; anything else says what it is doing and, after a failure, why. */
export function subsystemCheck(health: SubsystemHealth): ReadinessCheck {
  if (health.state === 'up') return { ok: true };
  const failure = health.error === null ? '' : ` after a failure: ${health.error}`;
  const when = health.retryInMs === null ? '' : ` in ${formatDuration(health.retryInMs)}`;
  const doing = health.state === 'restarting' ? `restarting${when}` : health.state;
  return { ok: false, detail: `${doing}${failure}` };
}

/**
 * The checks behind GET /api/health/ready (SPEC §6): database, migrations, config, engine, and one per
 * subsystem (`scheduler`, `run-worker`, `lease-watch`, …), failing while it starts or restarts.
 */
export async function checkReadiness(sources: ReadinessSources): Promise<Readiness> {
  const engine = sources.engine();
  const checks: Record<string, ReadinessCheck> = {
    database: await databaseCheck(sources.db),
    migrations: sources.migrated() ? { ok: true } : { ok: false, detail: 'migrations have not completed' },
    config: sources.configLoaded() ? { ok: true } : { ok: false, detail: 'configuration not loaded yet' },
    engine: engine
      ? { ok: true, detail: `${engine.name} ${engine.version} (${engine.bin})` }
      : { ok: true, detail: 'none found; not needed, this replica has no runner role' },
  };
  for (const health of sources.subsystems()) checks[health.name] = subsystemCheck(health);
  if (sources.draining()) checks.shutdown = { ok: false, detail: 'shutting down' };
  return { ok: Object.values(checks).every((check) => check.ok), checks };
}
