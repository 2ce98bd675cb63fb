/**
 * PostgreSQL session advisory locks, each on a dedicated connection: what makes a loop run on one replica
 * at a time (src/supervisor/cluster-singleton.ts). A session lock lives as long as its session, so the
 * lock of a replica that stopped, crashed or was killed is free the moment its connection closes (for a
 * host that vanished, after the keepalive probes of dedicated-connection.ts), and a replica waiting for
 * it gets it at once: there is no lease to expire and nothing to clean up.
 */
import type pg from 'pg';
import { connectionLost, openDedicatedConnection } from './dedicated-connection.ts';

export interface AdvisoryLock {
  /** Aborts when the connection is lost, and with it the lock. */
  readonly lost: AbortSignal;
  /** Releases the lock by closing its connection. */
  release(): Promise<void>;
}

/**
 * How long one wait for the lock lasts before it is asked again (default 5 s). A waiter that gave up
 * closes its connection at once, but its server process only notices at the end of the current wait:
 * this bounds how long it lingers in the lock's queue.
 */
export const DEFAULT_WAIT_SLICE_MS = 5_000;
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Waits until this process holds the lock `name` (any text: it is hashed to the lock's 64-bit key), and
 * returns it; null when `signal` aborted first. `waiting` is called once, before waiting, if another
 * session holds the lock.
 */
export async function acquireAdvisoryLock(
  url: string,
  name: string,
  signal: AbortSignal,
  waiting: () => void,
  waitSliceMs = DEFAULT_WAIT_SLICE_MS,
): Promise<AdvisoryLock | null> {
  const client = await openDedicatedConnection(url, { applicationName: `tide lock ${name}` });
  let closing = false;
  const lost = new AbortController();
  void connectionLost(client, () => closing).then((error) => lost.abort(error));
  const release = async (): Promise<void> => {
    closing = true;
    await client.end();
  };
  // Giving up closes the connection, which also ends a wait in progress.
  const giveUp = (): void => void release().catch(() => undefined);
  if (signal.aborted) giveUp();
  signal.addEventListener('abort', giveUp, { once: true });
  try {
    await lock(client, name, waiting, waitSliceMs);
  } catch (error) {
    if (closing) return null;
    await release();
    throw error;
  } finally {
    signal.removeEventListener('abort', giveUp);
  }
  return closing ? null : { lost: lost.signal, release };
}

async function lock(
  client: pg.Client,
  name: string,
  waiting: () => void,
  waitSliceMs: number,
): Promise<void> {
  const key = 'hashtextextended($1, 0)';
  const tried = await client.query<{ locked: boolean }>(`select pg_try_advisory_lock(${key}) as locked`, [
    name,
  ]);
  if (tried.rows[0]?.locked) return;
  waiting();
  await client.query(`set lock_timeout = ${Math.max(1, Math.round(waitSliceMs))}`);
  for (;;) {
    try {
      await client.query(`select pg_advisory_lock(${key})`, [name]);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== LOCK_NOT_AVAILABLE) throw error;
    }
  }
}
