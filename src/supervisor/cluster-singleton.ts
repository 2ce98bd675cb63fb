/**
 * A loop that must run on one replica at a time (a subsystem marked `oncePerCluster`): every replica
 * supervises it, but only the one holding its cluster lock runs it; the others stand by, waiting for the
 * lock. The daemon hands the supervisor PostgreSQL session advisory locks (src/store/advisory-lock.ts),
 * released when their holder's connection closes, so a replica that stops or dies hands over at once.
 * Without a cluster lock (SQLite: one replica) the loop just runs.
 */
import type { Logger } from '../log/logger.ts';
import type { Subsystem } from './subsystem.ts';

export interface HeldLock {
  /** Aborts, with the Error that ended its connection, when the lock is lost. */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface ClusterLock {
  /**
   * Resolves once this process holds the lock `name`, or with null when `signal` aborted first; calls
   * `waiting` once, before waiting, when another replica holds it.
   */
  acquire(name: string, signal: AbortSignal, waiting: () => void): Promise<HeldLock | null>;
}

/**
 * The subsystem, run only while this replica holds the lock `tide:<name>`. Standing by counts as up, so a
 * standby replica is ready and its supervisor starts the loops after this one. A holder whose loop fails
 * releases the lock for its backoff, so another replica may take over; one that loses the lock stops the
 * loop and fails, and its restart waits for the lock again.
 */
export function oncePerCluster(subsystem: Subsystem, lock: ClusterLock, logger: Logger): Subsystem {
  const { name } = subsystem;
  return {
    name,
    ...(subsystem.maxBackoffMs === undefined ? {} : { maxBackoffMs: subsystem.maxBackoffMs }),
    async start(signal, up) {
      const held = await lock.acquire(`tide:${name}`, signal, () => {
        logger.info({ subsystem: name }, 'another replica runs this loop; standing by');
        up();
      });
      if (!held) return;
      logger.info({ subsystem: name }, 'took the cluster lock: running this loop on this replica');
      try {
        await subsystem.start(AbortSignal.any([signal, held.lost]), up);
      } finally {
        await held.release();
      }
      if (held.lost.aborted && !signal.aborted)
        throw new Error(`lost its cluster lock: ${(held.lost.reason as Error).message}`);
    },
  };
}
