/**
 * Failed-login counters (SPEC §7), one row per `user:<name>` and per `ip:<address>`. A password check
 * first reserves a slot (`pending`), in one statement that also checks the lock and the threshold, and
 * only then runs argon2; settling the slot turns it into a failure or gives it back. Because the check
 * and the reservation are one upsert (PostgreSQL serialises concurrent upserts of a row on its lock;
 * SQLite has one writer), `failures + pending` never exceeds the threshold: however many guesses arrive
 * at once, on however many replicas, at most the threshold of them are verified per key and window.
 *
 * Window: failures count from the first one for `duration`; the lock, once set, lasts `duration` from
 * the failure that set it. A stale window starts over, which also forgets slots of checks that never
 * settled (a crash between reserving and settling).
 */
import { sql, type RawBuilder } from 'kysely';
import { dialectOf, inTransaction, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import { storeCall } from '../store/store-errors.ts';

export interface LockoutPolicy {
  /** Failures that lock (TIDE_LOGIN_LOCKOUT_THRESHOLD, default 5). */
  readonly threshold: number;
  /** TIDE_LOGIN_LOCKOUT_DURATION, default 15 minutes. */
  readonly durationMs: number;
}

/** A key and the policy it is counted under. */
export interface CountedKey {
  readonly key: string;
  readonly policy: LockoutPolicy;
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

const column = {
  failures: sql.ref('login_failures.failures'),
  pending: sql.ref('login_failures.pending'),
  windowStartedAt: sql.ref('login_failures.window_started_at'),
  lockedUntil: sql.ref('login_failures.locked_until'),
};

/** The row's window began `duration` ago or earlier: its counts no longer apply. */
function stale(db: Db, policy: LockoutPolicy, now: Date): RawBuilder<boolean> {
  const windowStart = toInstant(new Date(now.getTime() - policy.durationMs));
  return sql<boolean>`${column.windowStartedAt} <= ${instant(db, windowStart)}`;
}

const settledPending = sql<number>`(case when ${column.pending} > 0 then ${column.pending} - 1 else 0 end)`;

/**
 * Reserves one password check on every key, or on none: false when any key is locked or already has
 * `threshold` failures and checks in flight. One transaction; keys are taken in sorted order, so two
 * reservations on PostgreSQL cannot deadlock on each other's rows.
 */
export async function reserveAttempt(db: Db, keys: readonly CountedKey[], now: Date): Promise<boolean> {
  const sorted = [...keys].sort((a, b) => (a.key < b.key ? -1 : 1));
  return storeCall('reserveAttempt', () =>
    inTransaction(db, async (trx) => {
      const reserved: string[] = [];
      for (const { key, policy } of sorted) {
        if (await reserveOne(trx, key, policy, now)) reserved.push(key);
        else {
          for (const taken of reserved) await release(trx, taken);
          return false;
        }
      }
      return true;
    }),
  );
}

async function reserveOne(db: Db, key: string, policy: LockoutPolicy, now: Date): Promise<boolean> {
  const at = instant(db, toInstant(now));
  const isStale = stale(db, policy, now);
  const row = await db
    .insertInto('login_failures')
    .values({ key, failures: 0, pending: 1, window_started_at: toInstant(now), locked_until: null })
    .onConflict((conflict) =>
      conflict
        .column('key')
        .doUpdateSet({
          failures: sql<number>`(case when ${isStale} then 0 else ${column.failures} end)`,
          pending: sql<number>`(case when ${isStale} then 1 else ${column.pending} + 1 end)`,
          window_started_at: sql<string>`(case when ${isStale} then ${at} else ${column.windowStartedAt} end)`,
          locked_until: sql<string | null>`(case when ${isStale} then null else ${column.lockedUntil} end)`,
        })
        .where(
          sql<boolean>`(${column.lockedUntil} is null or ${column.lockedUntil} <= ${at})
            and (${isStale} or ${column.failures} + ${column.pending} < ${policy.threshold})`,
        ),
    )
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}

/** Gives a reserved slot back: the check was not a failure (the address of a successful login). */
export async function releaseAttempt(db: Db, key: string): Promise<void> {
  await storeCall('releaseAttempt', () => release(db, key));
}

async function release(db: Db, key: string): Promise<void> {
  await db.updateTable('login_failures').set({ pending: settledPending }).where('key', '=', key).execute();
}

/** The account's password was right: its failures start over and its slot is given back. */
export async function recordSuccess(db: Db, key: string): Promise<void> {
  await storeCall('recordSuccess', () =>
    db
      .updateTable('login_failures')
      .set({ failures: 0, pending: settledPending })
      .where('key', '=', key)
      .execute(),
  );
}

/**
 * Settles a reserved check as a failure: counts it, restarts a stale window and sets the lock when the
 * count reaches the threshold, in one upsert (the row may be gone if an admin unlocked meanwhile).
 */
export async function recordFailure(
  db: Db,
  key: string,
  policy: LockoutPolicy,
  now: Date,
): Promise<FailureCount> {
  const at = toInstant(now);
  const until = toInstant(new Date(now.getTime() + policy.durationMs));
  const isStale = stale(db, policy, now);
  const next = sql<number>`(case when ${isStale} then 1 else ${column.failures} + 1 end)`;
  return storeCall('recordFailure', async () => {
    const row = await db
      .insertInto('login_failures')
      .values({
        key,
        failures: 1,
        pending: 0,
        window_started_at: at,
        locked_until: policy.threshold <= 1 ? until : null,
      })
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet({
          failures: next,
          pending: sql<number>`(case when ${isStale} then 0 else ${settledPending} end)`,
          window_started_at: sql<string>`(case when ${isStale} then ${instant(db, at)} else ${column.windowStartedAt} end)`,
          locked_until: sql<string | null>`(case
            when ${column.lockedUntil} is not null and ${column.lockedUntil} > ${instant(db, at)} then ${column.lockedUntil}
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

/** Forgets a key's failures and lock (an admin's unlock); true if there were any. */
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
