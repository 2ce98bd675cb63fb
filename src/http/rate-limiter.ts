/**
 * Fixed-window rate limiting kept in the database, so every replica on one PostgreSQL counts against the
 * same limit (SPEC §7). A hit is one atomic upsert: no read-then-write race between replicas, and no
 * lock held across statements.
 */
import type { Db } from '../store/schema.ts';
import { periodic, type Subsystem } from '../supervisor/subsystem.ts';
import type { Clock } from '../time/clock.ts';
import { countRateLimitHit, pruneRateLimits } from './rate-limit.repo.ts';

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Hits left in this window after this one (0 once the limit is reached). */
  readonly remaining: number;
  /** Until the window ends when refused; 0 when allowed. */
  readonly retryAfterMs: number;
}

export interface RateLimiter {
  /** Counts one hit for `key` in the fixed window of `windowMs` that contains `now`. */
  hit(key: string, limit: number, windowMs: number, now: Date): Promise<RateLimitDecision>;
}

export class DatabaseRateLimiter implements RateLimiter {
  constructor(private readonly db: Db) {}

  async hit(key: string, limit: number, windowMs: number, now: Date): Promise<RateLimitDecision> {
    // Windows are aligned to the epoch, so every replica computes the same window_start for `now`.
    const start = Math.floor(now.getTime() / windowMs) * windowMs;
    const end = start + windowMs;
    const count = await countRateLimitHit(this.db, key, new Date(start), new Date(end));
    const allowed = count <= limit;
    return {
      allowed,
      remaining: Math.max(0, limit - count),
      retryAfterMs: allowed ? 0 : end - now.getTime(),
    };
  }

  /** Deletes the counters of windows that have ended; returns how many. */
  prune(now: Date): Promise<number> {
    return pruneRateLimits(this.db, now);
  }
}

/** Every minute: ended windows are useless, and without pruning the table grows with every client IP. */
export const RATE_LIMIT_PRUNE_INTERVAL_MS = 60_000;

/**
 * The supervised subsystem `rate-limit-pruning`: prunes at start, then every interval. A failed prune (the
 * database is briefly away) is retried after the supervisor's backoff; meanwhile only stale rows remain.
 */
export function rateLimitPruning(
  limiter: Pick<DatabaseRateLimiter, 'prune'>,
  options: { clock: Clock; intervalMs?: number },
): Subsystem {
  // Once per cluster: the rows are shared, and one replica's pass prunes them all.
  return periodic(
    'rate-limit-pruning',
    options.intervalMs ?? RATE_LIMIT_PRUNE_INTERVAL_MS,
    () => limiter.prune(options.clock.now()),
    { oncePerCluster: true },
  );
}
