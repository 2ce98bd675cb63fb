import { sql } from 'kysely';
import type { Readiness, ReadinessCheck } from '../api/api-deps.ts';
import type { Engine } from '../engine/engine.ts';
import type { Db } from '../store/schema.ts';

export interface ReadinessSources {
  readonly db: Db;
  readonly migrated: () => boolean;
  readonly configLoaded: () => boolean;
  /** Null when this replica does not run the scheduler role. */
  readonly schedulerRunning: (() => boolean) | null;
  readonly engine: () => Engine | Error;
  readonly draining: () => boolean;
}

const databaseTimeoutMs = 2000;

async function databaseCheck(db: Db): Promise<ReadinessCheck> {
  try {
    await Promise.race([
      sql`select 1`.execute(db),
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

/** The checks behind GET /api/health/ready (SPEC §6): database, migrations, config, scheduler, engine. */
export async function checkReadiness(sources: ReadinessSources): Promise<Readiness> {
  const engine = sources.engine();
  const checks: Record<string, ReadinessCheck> = {
    database: await databaseCheck(sources.db),
    migrations: sources.migrated() ? { ok: true } : { ok: false, detail: 'migrations have not completed' },
    config: sources.configLoaded() ? { ok: true } : { ok: false, detail: 'configuration not loaded yet' },
    engine:
      engine instanceof Error
        ? { ok: false, detail: engine.message }
        : { ok: true, detail: `${engine.name} ${engine.version} (${engine.bin})` },
  };
  if (sources.schedulerRunning) {
    checks.scheduler = sources.schedulerRunning()
      ? { ok: true }
      : { ok: false, detail: 'scheduler is not running' };
  }
  if (sources.draining()) checks.shutdown = { ok: false, detail: 'shutting down' };
  return { ok: Object.values(checks).every((check) => check.ok), checks };
}
