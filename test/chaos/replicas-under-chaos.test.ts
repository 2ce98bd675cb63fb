/**
 * The chaos test (issue 9): three real `tide serve` replicas on one PostgreSQL database run seconds-cron
 * deploys and destroys of three workspaces whose provisioners report to a marker file. Replicas are killed
 * with SIGKILL — always while one of their steps is running — and restarted, then replaced one by one with
 * SIGTERM (a rolling upgrade), while firings keep coming due. Then the schedules are switched off, the
 * cluster settles, and what the database and the marker file say is checked:
 * - no firing twice in the ledger, no firing with two runs, no missed firing (two replicas, each with the
 *   scheduler role, were always alive) and no gap in any schedule's firings;
 * - no two runs of one workspace whose provisioners ran at the same time, and none left unterminated;
 * - no run `running` past its lease plus the reaper interval (sampled all along);
 * - every create is followed by its destroy: the effects of each workspace alternate, so state was shared
 *   across replicas and nothing was created twice;
 * - every orphaned run was retried, and a replica stopped with SIGTERM orphaned nothing.
 * Figures go to the test's output (`chaos:` line) and docs/ha.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, expect, it } from 'vitest';
import { openDatabase, type Store } from '../../src/store/database.ts';
import { makeConfigDir } from '../helpers/config-dir.ts';
import { forEachDialect } from '../helpers/databases.ts';
import { loginAsInitialAdmin, waitFor } from '../helpers/serve-process.ts';
import {
  chaosWorkspaceTf,
  clusterEnvironment,
  overlaps,
  readEvents,
  recordGone,
  Releaser,
  Replica,
  spansOf,
  type StepSpan,
} from './chaos-cluster.ts';

const LEASE_MS = 3_000;
/** The reaper runs every lease period; the sampler and the claim add a little. */
const RUNNING_PAST_LEASE_LIMIT_MS = 2 * LEASE_MS + 3_000;
const WORKSPACES = ['alpha', 'beta', 'gamma'];
const KILLS = 4;

forEachDialect('three replicas under kill -9 and a rolling upgrade', (harness) => {
  const onPostgres = it.runIf(harness.dialect === 'postgres');
  const cleanups: (() => void | Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  onPostgres(
    'never fires twice, never runs a workspace twice at once, loses no firing and no resource',
    async () => {
      const began = Date.now();
      const database = await harness.freshDatabase();
      const url = database.url ?? '';
      const effects = mkdtempSync(path.join(tmpdir(), 'tide-chaos-effects-'));
      cleanups.push(() => rmSync(effects, { recursive: true, force: true }));
      const markerFile = path.join(effects, 'marker');
      const tf = chaosWorkspaceTf(markerFile, effects);
      // Deploys every 10 s and destroys 5 s later, each workspace 2 s after the previous one.
      const files: Record<string, object | string> = {};
      WORKSPACES.forEach((name, i) => {
        files[`workspaces/${name}/config.json`] = {
          enabled: true,
          deploy_schedule: `${i * 2}-59/10 * * * * *`,
          destroy_schedule: `${i * 2 + 5}-59/10 * * * * *`,
          policy: { retries: 5, backoff: { base: '1s', max: '2s' } },
        };
        files[`workspaces/${name}/main.tf`] = tf;
      });
      const config = makeConfigDir(files);
      cleanups.push(() => config.cleanup());
      const env = clusterEnvironment({
        configDir: config.dir,
        databaseUrl: url,
        leaseDuration: `${LEASE_MS / 1000}s`,
        shutdownGrace: '20s',
      });
      const replicas = ['r1', 'r2', 'r3'].map((name) => new Replica(name, env));
      cleanups.push(async () => {
        for (const replica of replicas) {
          await replica.stop('SIGKILL');
          rmSync(replica.dataDir, { recursive: true, force: true });
        }
      });
      const store: Store = await openDatabase(database);
      cleanups.push(() => store.close());
      const releaser = new Releaser(markerFile, effects);
      cleanups.push(() => releaser.stop());

      // A run running past its lease plus the reaper interval, seen by a sampler every 250 ms.
      const stuck = new Set<string>();
      const sampler = setInterval(() => {
        void sql<{ id: string }>`select id from runs where state = 'running'
          and lease_expires_at < now() - make_interval(secs => ${RUNNING_PAST_LEASE_LIMIT_MS / 1000})`
          .execute(store.db)
          .then(
            ({ rows }) => rows.forEach((row) => stuck.add(row.id)),
            () => undefined,
          );
      }, 250);
      cleanups.push(() => clearInterval(sampler));

      for (const replica of replicas) await replica.start();
      const token = await loginAsInitialAdmin(replicas[0]!.url, replicas[0]!.dataDir);
      const api = async (replica: Replica, method: string, route: string) => {
        const response = await fetch(`${replica.url}/api/v1${route}`, {
          method,
          headers: { authorization: `Bearer ${token}` },
        });
        return (await response.json()) as Record<string, unknown>;
      };
      const ownerOf = async (span: StepSpan): Promise<Replica | undefined> => {
        const run = await store.db
          .selectFrom('runs')
          .select(['lease_owner', 'state'])
          .where('id', '=', span.runId)
          .executeTakeFirst();
        const pid = Number(run?.lease_owner?.split(':')[1]);
        return replicas.find((replica) => replica.pid === pid);
      };

      // Chaos: kill the replica running a step, while the step runs; bring it back; again.
      const killed: { replica: string; span: StepSpan }[] = [];
      let slowestGoneMs = 0;
      for (let i = 0; i < KILLS; i++) {
        const span = await releaser.holdNext();
        const owner = await waitFor('the owner of the held step', () => ownerOf(span));
        const pid = owner.pid;
        await owner.stop('SIGKILL');
        const killedAt = Date.now();
        killed.push({ replica: owner.name, span });
        // Every step of the dead replica's runs must end, the held one and any other it was running.
        const inFlight: StepSpan[] = [];
        for (const step of spansOf(readEvents(markerFile)).filter((s) => s.finish === null)) {
          const run = await store.db
            .selectFrom('runs')
            .select('lease_owner')
            .where('id', '=', step.runId)
            .executeTakeFirst();
          if (Number(run?.lease_owner?.split(':')[1]) === pid) inFlight.push(step);
        }
        slowestGoneMs = Math.max(slowestGoneMs, await recordGone(markerFile, inFlight, killedAt));
        releaser.release(span);
        await owner.start();
      }

      // A rolling upgrade: each replica stopped gracefully (SIGTERM) and replaced, one after the other —
      // when it can be arranged, while one of its steps runs, so its shutdown has a run to finish.
      const gracefulPids: number[] = [];
      const drained: StepSpan[] = [];
      const upgraded = new Set<Replica>();
      for (let i = 0; i < 2 * replicas.length && upgraded.size < replicas.length; i++) {
        const span = await releaser.holdNext();
        const owner = await waitFor('the owner of the held step', () => ownerOf(span));
        if (upgraded.has(owner)) {
          releaser.release(span);
          continue;
        }
        gracefulPids.push(owner.pid!);
        const stopped = owner.stop('SIGTERM');
        releaser.release(span);
        await stopped;
        drained.push(span);
        upgraded.add(owner);
        await owner.start();
      }
      for (const replica of replicas.filter((r) => !upgraded.has(r))) {
        gracefulPids.push(replica.pid!);
        await replica.stop('SIGTERM');
        await replica.start();
      }

      // Let the schedules fire once more on the upgraded cluster, then switch them off and settle.
      const upgradedAt = Date.now();
      await waitFor(
        'a firing after the upgrade',
        async () => {
          const { rows } = await sql<{ n: number }>`select count(*)::int as n from firings
            where scheduled_at > to_timestamp(${upgradedAt / 1000})`.execute(store.db);
          return rows[0]!.n >= WORKSPACES.length;
        },
        120_000,
      );
      for (const name of WORKSPACES) await api(replicas[0]!, 'POST', `/workspaces/${name}/disable`);
      const disabledAt = new Date();
      const idle = async () => {
        const active = await store.db
          .selectFrom('runs')
          .select('id')
          .where('state', 'in', ['queued', 'running'])
          .execute();
        return active.length === 0;
      };
      await waitFor('the cluster to settle', idle, 120_000);
      for (const name of WORKSPACES) {
        const { status } = await api(replicas[0]!, 'GET', `/workspaces/${name}`);
        if (status !== 'destroyed') await api(replicas[0]!, 'POST', `/workspaces/${name}/destroy`);
      }
      await waitFor('the final destroys', idle, 120_000);
      releaser.stop();
      clearInterval(sampler);

      // The ledger: each firing once, with at most one run; nothing missed; no gap in any schedule.
      const firings = await store.db.selectFrom('firings').selectAll().orderBy('scheduled_at').execute();
      const firingKeys = firings.map((f) => `${f.workspace} ${f.schedule_key} ${String(f.scheduled_at)}`);
      expect(new Set(firingKeys).size).toBe(firingKeys.length);
      expect(firings.filter((f) => f.outcome === 'missed')).toEqual([]);
      const runs = await store.db.selectFrom('runs').selectAll().execute();
      const runsPerFiring = new Map<number, number>();
      for (const run of runs)
        if (run.firing_id !== null)
          runsPerFiring.set(run.firing_id, (runsPerFiring.get(run.firing_id) ?? 0) + 1);
      expect([...runsPerFiring.values()].filter((n) => n > 1)).toEqual([]);
      for (const name of WORKSPACES)
        for (const key of ['deploy', 'destroy']) {
          const instants = firings
            .filter((f) => f.workspace === name && f.schedule_key.startsWith(key))
            .map((f) => new Date(f.scheduled_at).getTime())
            .filter((at) => at <= disabledAt.getTime());
          for (let i = 1; i < instants.length; i++)
            expect(instants[i]! - instants[i - 1]!, name).toBe(10_000);
        }

      // The marker file: no overlap, nothing unterminated, every create followed by its destroy.
      const spans = spansOf(readEvents(markerFile));
      // Each span with its run's end and owner, so a failure says which replica and what happened.
      const described = (span: StepSpan) => {
        const run = runs.find((r) => r.id === span.runId);
        const killedBy = killed.find((k) => k.span.runId === span.runId)?.replica ?? null;
        return { ...span, state: run?.state, reason: run?.reason, owner: run?.lease_owner, killedBy };
      };
      expect(overlaps(spans).map(([a, b]) => [described(a), described(b)])).toEqual([]);
      expect(spans.filter((span) => span.finish === null).map(described)).toEqual([]);
      for (const name of WORKSPACES) {
        const effectsOf = spans
          .filter((span) => span.workspace === name && span.effect)
          .sort((a, b) => a.finish! - b.finish!)
          .map((span) => span.phase);
        expect(effectsOf.length, name).toBeGreaterThan(0);
        effectsOf.forEach((phase, i) =>
          expect(phase, `${name} effect ${i}`).toBe(i % 2 === 0 ? 'create' : 'destroy'),
        );
        expect(effectsOf.at(-1), name).toBe('destroy');
      }

      // Leases: nothing stuck; every kill orphaned its run, which was retried; graceful stops orphaned nothing.
      expect([...stuck]).toEqual([]);
      const orphans = runs.filter((run) => run.reason === 'orphaned');
      for (const { span } of killed) expect(orphans.map((run) => run.id)).toContain(span.runId);
      for (const orphan of orphans)
        expect(
          runs.some((run) => run.retry_of === orphan.id),
          orphan.id,
        ).toBe(true);
      const gracefulOwners = new Set(gracefulPids.map(String));
      const orphanedByGraceful = orphans.filter((run) =>
        gracefulOwners.has(String(run.lease_owner?.split(':')[1])),
      );
      expect(orphanedByGraceful).toEqual([]);
      // A run a replica's shutdown waited for finished there, and its lease went with it.
      for (const span of drained)
        expect(runs.find((run) => run.id === span.runId)).toMatchObject({
          state: 'succeeded',
          lease_expires_at: null,
        });
      // Every state lock was released: by its engine, or taken over from a killed one and then released.
      expect(await store.db.selectFrom('state_locks').selectAll().execute()).toEqual([]);

      const figures = {
        seconds: Math.round((Date.now() - began) / 1000),
        firings: firings.length,
        fired: firings.filter((f) => f.outcome === 'fired').length,
        runs: runs.length,
        kills: killed.length,
        graceful_restarts: gracefulPids.length,
        drained_runs: drained.length,
        orphans: orphans.length,
        retries: runs.filter((run) => run.trigger === 'retry').length,
        steps: spans.length,
        killed_steps: spans.filter((span) => span.killed).length,
        slowest_gone_ms: slowestGoneMs,
        overlaps: overlaps(spans).length,
        missed: firings.filter((f) => f.outcome === 'missed').length,
        duplicate_firings: firingKeys.length - new Set(firingKeys).size,
        stuck_runs: stuck.size,
      };
      console.log(`chaos: ${JSON.stringify(figures)}`);
    },
    600_000,
  );
});
