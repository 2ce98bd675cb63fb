/** The `rate_limits` table: one row per key and fixed window, counted by an atomic upsert. */
import { sql } from 'kysely';
import { toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';

/** Counts one hit for `key` in the window [start, end); returns the window's count including this hit. */
export async function countRateLimitHit(db: Db, key: string, start: Date, end: Date): Promise<number> {
  const row = await storeCall('count a rate-limited request', () =>
    db
      .insertInto('rate_limits')
      .values({ key, window_start: toInstant(start), expires_at: toInstant(end), count: 1 })
      .onConflict((conflict) =>
        conflict
          .columns(['key', 'window_start'])
          .doUpdateSet({ count: sql<number>`${sql.ref('rate_limits.count')} + 1` }),
      )
      .returning('count')
      .executeTakeFirstOrThrow(),
  );
  return row.count;
}

/** Deletes the counters of windows that ended by `now`; returns how many. */
export async function pruneRateLimits(db: Db, now: Date): Promise<number> {
  const result = await storeCall('prune rate-limit windows', () =>
    db.deleteFrom('rate_limits').where('expires_at', '<=', toInstant(now)).executeTakeFirst(),
  );
  return Number(result.numDeletedRows);
}
