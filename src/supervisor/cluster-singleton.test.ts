import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { createLogger } from '../log/logger.ts';
import { acquireAdvisoryLock } from '../store/advisory-lock.ts';
import type { Db } from '../store/schema.ts';
import type { ClusterLock } from './cluster-singleton.ts';
import type { Subsystem } from './subsystem.ts';
import { Supervisor } from './supervisor.ts';
import { nextHealth, TestTimers } from './test-supervision.ts';
import { aborted } from './timers.ts';

const logger = createLogger('silent');

/** Which replica runs the `sweeper` loop, in the order they started it. */
class Runs {
  readonly started: string[] = [];
  readonly #waiters: (() => void)[] = [];

  /** The loop as replica `replica` supervises it; `fails` makes its passes throw. */
  loop(replica: string, options: { fails?: boolean; maxBackoffMs?: number } = {}): Subsystem {
    return {
      name: 'sweeper',
      oncePerCluster: true,
      ...(options.maxBackoffMs && { maxBackoffMs: options.maxBackoffMs }),
      start: async (signal, up) => {
        this.started.push(replica);
        this.#waiters.splice(0).forEach((wake) => wake());
        if (options.fails) throw new Error('sweep failed');
        up();
        await aborted(signal);
      },
    };
  }

  /** Resolves once the loop has been started `count` times in all. */
  async startedTimes(count: number): Promise<string[]> {
    while (this.started.length < count) await new Promise<void>((wake) => this.#waiters.push(wake));
    return this.started;
  }
}

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
});

async function replica(
  loop: Subsystem,
  clusterLock?: ClusterLock,
): Promise<{ supervisor: Supervisor; backoff: TestTimers }> {
  const backoff = new TestTimers();
  const supervisor = new Supervisor({ logger, timers: backoff, ...(clusterLock && { clusterLock }) });
  supervisors.push(supervisor);
  supervisor.add(loop);
  await supervisor.start();
  return { supervisor, backoff };
}

describe('a loop marked once per cluster, without a cluster lock (SQLite)', () => {
  it('runs on every replica, like any other loop', async () => {
    const runs = new Runs();
    await replica(runs.loop('a'));
    await replica(runs.loop('b'));
    expect(runs.started).toEqual(['a', 'b']);
  });
});

forEachDialect('a loop marked once per cluster, with PostgreSQL advisory locks', (harness) => {
  const onPostgres = it.runIf(harness.dialect === 'postgres');
  let url: string | undefined;
  let db: Db;

  /** Advisory locks on the test's database; `waitSliceMs` short, so the waits are renewed often. */
  async function locks(): Promise<ClusterLock> {
    if (!url) {
      url = (await harness.freshDatabase()).url!;
      db = (await harness.open({ url, dataDir: tmpdir() })).db;
    }
    const at = url;
    return {
      acquire: (name, signal, waiting) => acquireAdvisoryLock(at, name, signal, waiting, 20),
    };
  }

  /** Ends the session holding the sweeper's lock, or the one waiting for it, as a crash would. */
  async function endSession(which: 'holder' | 'waiter'): Promise<void> {
    // The waiter is between two waits now and then, so it is told apart by holding nothing.
    const { rows } = await sql<{ ended: boolean }>`
      select pg_terminate_backend(pid) as ended from pg_stat_activity
      where application_name = 'tide lock tide:sweeper' and datname = current_database()
        and (pid in (select pid from pg_locks where locktype = 'advisory' and granted)) = ${which === 'holder'}`.execute(
      db,
    );
    expect(rows).toEqual([{ ended: true }]);
  }

  onPostgres(
    'runs on one replica; the other stands by, ready, until the holder stops, then takes over at once',
    async () => {
      const runs = new Runs();
      const a = await replica(runs.loop('a'), await locks());
      const b = await replica(runs.loop('b'), await locks());
      expect(runs.started).toEqual(['a']);
      expect(b.supervisor.health()).toEqual([
        { name: 'sweeper', state: 'up', restarts: 0, error: null, retryInMs: null },
      ]);

      await a.supervisor.stop();
      expect(await runs.startedTimes(2)).toEqual(['a', 'b']);
    },
  );

  onPostgres(
    'hands over when the holder’s connection closes, and the old holder stands by after its restart',
    async () => {
      const runs = new Runs();
      const a = await replica(runs.loop('a'), await locks());
      const b = await replica(runs.loop('b'), await locks());
      const failed = nextHealth(a.supervisor, 'sweeper', 'restarting');
      await endSession('holder');
      expect(await runs.startedTimes(2)).toEqual(['a', 'b']);
      expect((await failed).error).toMatch(/^lost its cluster lock: /);

      const standingBy = nextHealth(a.supervisor, 'sweeper', 'up');
      a.backoff.fire();
      await standingBy;
      expect(runs.started).toEqual(['a', 'b']);
      expect(b.supervisor.health()[0]?.state).toBe('up');
    },
  );

  onPostgres(
    'lets another replica take over while the holder’s failing loop waits out its backoff',
    async () => {
      const runs = new Runs();
      const a = await replica(runs.loop('a', { fails: true, maxBackoffMs: 500 }), await locks());
      expect(a.supervisor.health()[0]).toMatchObject({
        state: 'restarting',
        error: 'sweep failed',
        retryInMs: 500,
      });
      await replica(runs.loop('b'), await locks());
      expect(runs.started).toEqual(['a', 'b']);
    },
  );

  onPostgres('fails, and waits again after its backoff, when its wait for the lock is cut off', async () => {
    const runs = new Runs();
    await replica(runs.loop('a'), await locks());
    const b = await replica(runs.loop('b'), await locks());
    const failed = nextHealth(b.supervisor, 'sweeper', 'restarting');
    await endSession('waiter');
    expect((await failed).error).toMatch(/terminat/);
    const waiting = nextHealth(b.supervisor, 'sweeper', 'up');
    b.backoff.fire();
    await waiting;
    expect(runs.started).toEqual(['a']);
  });

  onPostgres('gives up a wait when told to, and returns no lock', async () => {
    const lock = await locks();
    const holder = new AbortController();
    const held = await lock.acquire('tide:sweeper', holder.signal, () => undefined);
    const waiter = new AbortController();
    let waited = false;
    const wait = lock.acquire('tide:sweeper', waiter.signal, () => {
      waited = true;
      waiter.abort();
    });
    expect(await wait).toBeNull();
    expect(waited).toBe(true);
    const alreadyAborted = await lock.acquire('tide:sweeper', AbortSignal.abort(), () => undefined);
    expect(alreadyAborted).toBeNull();
    await held?.release();
  });
});
