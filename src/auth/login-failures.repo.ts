/**
 * Failed-login counters (SPEC §7), one row per `user:<name>` and per `ip:<address>`. A failure is one
 * upsert that counts, restarts an old window and sets the lock when the count reaches the threshold, all
 * in a single statement: PostgreSQL serialises concurrent upserts of a row on its lock and SQLite has one
 * writer, so N parallel wrong passwords count N, and exactly one of them is the one that locks.
 *
 * Window: failures count from the first one for `duration`; the lock, once set, lasts `duration` from
 * the failure that set it.
 */
import { sql, type RawBuilder } from 'kysely';
import { dialectOf, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';

export interface LockoutPolicy {
  /** Failures that lock (TIDE_LOGIN_LOCKOUT_THRESHOLD, default 5). */
  readonly threshold: number;
  /** TIDE_LOGIN_LOCKOUT_DURATION, default 15 minutes. */
  readonly durationMs: number;
}

export interface FailureCount {
  readonly failures: number;
  /** This failure is the one that locked the key (true once per lockout). */
  readonly lockedNow: boolean;
}

/** Instants as parameters inside CASE need a type on PostgreSQL (it cannot infer one from `CASE`). */
function instant(db: Db, value: string): RawBuilder<string> {
  return dialectOf(db) === 'postgres' ? sql<string>`cast(${value} as timestamptz)` : sql<string>`${value}`;
}

export async function recordLoginFailure(
  db: Db,
  key: string,
  policy: LockoutPolicy,
  now: Date,
): Promise<FailureCount> {
  const at = toInstant(now);
  const until = toInstant(new Date(now.getTime() + policy.durationMs));
  const windowStart = toInstant(new Date(now.getTime() - policy.durationMs));
  const stale = sql<boolean>`${sql.ref('login_failures.window_started_at')} <= ${instant(db, windowStart)}`;
  const next = sql<number>`(case when ${stale} then 1 else ${sql.ref('login_failures.failures')} + 1 end)`;
  const current = sql.ref('login_failures.locked_until');
  return storeCall('recordLoginFailure', async () => {
    const row = await db
      .insertInto('login_failures')
      .values({
        key,
        failures: 1,
        window_started_at: at,
        locked_until: policy.threshold <= 1 ? until : null,
      })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({
          failures: next,
          window_started_at: sql<string>`(case when ${stale} then ${instant(db, at)} else ${sql.ref('login_failures.window_started_at')} end)`,
          locked_until: sql<string | null>`(case
            when ${current} is not null and ${current} > ${instant(db, at)} then ${current}
            when ${next} >= ${policy.threshold} then ${instant(db, until)}
            else null end)`,
        }),
      )
      .returning(['failures', 'locked_until'])
      .executeTakeFirstOrThrow();
    const failures = Number(row.failures);
    const lockedNow =
      failures === policy.threshold && row.locked_until !== null && toInstant(row.locked_until) === until;
    return { failures, lockedNow };
  });
}

/** Whether any of the keys is locked at `now`. */
export async function isLocked(db: Db, keys: readonly string[], now: Date): Promise<boolean> {
  return storeCall('isLocked', async () => {
    const row = await db
      .selectFrom('login_failures')
      .select('key')
      .where('key', 'in', keys)
      .where('locked_until', '>', toInstant(now))
      .executeTakeFirst();
    return row !== undefined;
  });
}

/** Forgets a key's failures and lock (a successful login, an admin's unlock); true if there were any. */
export async function clearLoginFailures(db: Db, key: string): Promise<boolean> {
  return storeCall('clearLoginFailures', async () => {
    const result = await db.deleteFrom('login_failures').where('key', '=', key).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

export async function lockedUntil(db: Db, key: string, now: Date): Promise<string | null> {
  return storeCall('lockedUntil', async () => {
    const row = await db
      .selectFrom('login_failures')
      .select('locked_until')
      .where('key', '=', key)
      .where('locked_until', '>', toInstant(now))
      .executeTakeFirst();
    return row?.locked_until ? toInstant(row.locked_until) : null;
  });
}

export const userLockKey = (username: string): string => `user:${username}`;
export const ipLockKey = (ip: string): string => `ip:${ip}`;
