import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { recordFailure, releaseAttempt, reserveAttempt, type CountedKey } from './login-failures.repo.ts';

const policy = { threshold: 3, durationMs: 60_000 };
const at = (seconds: number) => new Date(Date.UTC(2027, 2, 15, 6, 0, seconds));

forEachDialect('login attempt reservations', (harness) => {
  const reserve = (keys: readonly CountedKey[], seconds: number) =>
    reserveAttempt(harness.db, keys, at(seconds));
  const account: CountedKey = { key: 'user:alice', policy };
  const address: CountedKey = { key: 'ip:10.0.0.1', policy: { ...policy, threshold: 12 } };

  it('grants no more than the threshold of checks in flight, and takes a given-back one again', async () => {
    const granted = await Promise.all(Array.from({ length: 10 }, () => reserve([account], 0)));
    expect(granted.filter(Boolean)).toHaveLength(3);
    await releaseAttempt(harness.db, account.key);
    expect(await reserve([account], 1)).toBe(true);
    expect(await reserve([account], 1)).toBe(false);
  });

  it('reserves the account and the address together or not at all', async () => {
    for (let i = 0; i < 3; i++) expect(await reserve([address, account], 0)).toBe(true);
    expect(await reserve([address, account], 0)).toBe(false);
    const rows = await harness.db
      .selectFrom('login_failures')
      .select(['key', 'pending'])
      .orderBy('key')
      .execute();
    expect(rows).toEqual([
      { key: 'ip:10.0.0.1', pending: 3 },
      { key: 'user:alice', pending: 3 },
    ]);
  });

  it('forgets checks that never settled once the window has passed', async () => {
    for (let i = 0; i < 3; i++) await reserve([account], 0);
    expect(await reserve([account], 59)).toBe(false);
    expect(await reserve([account], 60)).toBe(true);
  });

  it('refuses every check while locked, and counts the failure that locks exactly once', async () => {
    for (let i = 0; i < 3; i++) await reserve([account], 0);
    const settled = await Promise.all(
      Array.from({ length: 3 }, () => recordFailure(harness.db, account.key, policy, at(30))),
    );
    expect(settled.filter((count) => count.lockedNow)).toHaveLength(1);
    // The window (from 0 s) is stale at 60 s, but the lock (from 30 s) lasts until 90 s.
    expect(await reserve([account], 75)).toBe(false);
    expect(await reserve([account], 90)).toBe(true);
  });
});
