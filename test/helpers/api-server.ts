import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { appendLogChunk } from '../../src/run/run-log.repo.ts';
import { updateRunState } from '../../src/run/run.repo.ts';
import type { Run } from '../../src/run/run.ts';
import { openDatabase, type Store } from '../../src/store/database.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { apiFixture, fixtureConfigDir, loadEffectiveConfig, type ApiFixture } from './api-fixture.ts';

export interface ApiServer {
  readonly fixture: ApiFixture;
  /** Base URL to give the CLI as TIDE_URL. */
  readonly url: string;
  /**
   * What the CLI needs to talk to this server as the fixture admin: TIDE_URL, TIDE_TOKEN, and an empty
   * XDG_CONFIG_HOME of its own (so no developer's saved login is read or overwritten).
   */
  readonly env: Readonly<Record<string, string>>;
  /** Empties the run and status tables between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The API fixture (SQLite in a temp dir) listening on 127.0.0.1 on a free port. Its configuration is the
 * fixture's unless `configDir` is given (which it then owns), plus `extraConfigFiles` (standalone jobs, …).
 */
export async function startApiServer(
  options: {
    configDir?: ReturnType<typeof fixtureConfigDir>;
    extraConfigFiles?: Record<string, string | object>;
  } = {},
): Promise<ApiServer> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tide-cli-'));
  const store: Store = await openDatabase({ dataDir });
  await migrateToLatest(store);
  const configDir = options.configDir ?? fixtureConfigDir();
  for (const [file, content] of Object.entries(options.extraConfigFiles ?? {}))
    configDir.write(file, content);
  const fixture = apiFixture(store.db, await loadEffectiveConfig(configDir.dir));
  const url = await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  const configHome = await mkdtemp(path.join(tmpdir(), 'tide-cli-config-'));
  return {
    fixture,
    url,
    env: { TIDE_URL: url, TIDE_TOKEN: await fixture.adminToken(), XDG_CONFIG_HOME: configHome },
    async reset() {
      for (const table of [
        'job_chain_runs',
        'job_chains',
        'state_locks',
        'state_versions',
        'run_log_chunks',
        'run_waits',
        'runs',
        'firings',
        'workspace_status',
      ] as const)
        await store.db.deleteFrom(table).execute();
    },
    async close() {
      await fixture.app.close();
      await store.close();
      configDir.cleanup();
      await rm(dataDir, { recursive: true, force: true });
      await rm(configHome, { recursive: true, force: true });
    },
  };
}

export interface FakeOutcome {
  readonly state: 'succeeded' | 'failed';
  readonly reason?: string;
  readonly logLine: string;
}

/**
 * A fake of the executor: whenever a run is queued it claims it, writes one log line and finishes it as
 * told, announcing each step on the hub like the real one. Returns a function that stops it.
 */
export function fakeExecutor(fixture: ApiFixture, outcome: FakeOutcome): () => void {
  const { db, hub, clock } = fixture;
  const execute = async (queued: Run): Promise<void> => {
    hub.emit(
      'run.updated',
      await updateRunState(db, queued.id, 'running', clock.now(), {
        lease: { owner: 'fake', leaseMs: 60_000 },
      }),
    );
    const chunk = await appendLogChunk(db, queued.id, {
      stream: 'stdout',
      content: outcome.logLine,
      created_at: clock.now(),
    });
    hub.emit('run.log', {
      runId: queued.id,
      workspace: queued.workspace,
      seq: chunk.seq,
      stream: 'stdout',
      lines: [outcome.logLine],
    });
    const exitCode = outcome.state === 'succeeded' ? 0 : 1;
    hub.emit(
      'run.updated',
      await updateRunState(db, queued.id, outcome.state, clock.now(), {
        exit_code: exitCode,
        reason: outcome.reason ?? null,
      }),
    );
  };
  const onRun = (run: Run): void => {
    if (run.state === 'queued') void execute(run);
  };
  hub.on('run.updated', onRun);
  return () => hub.off('run.updated', onRun);
}
