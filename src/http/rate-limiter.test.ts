import { beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { DatabaseRateLimiter } from './rate-limiter.ts';

const MINUTE = 60_000;
/** 20 s into a minute window. */
const NOW = new Date('2027-03-15T06:00:20.000Z');

forEachDialect('database rate limiter', (harness) => {
  let limiter: DatabaseRateLimiter;
  beforeEach(() => {
    limiter = new DatabaseRateLimiter(harness.db);
  });

  it('allows the first hits with what remains, then refuses until the window ends', async () => {
    const first = await limiter.hit('ip:10.0.0.1', 2, MINUTE, NOW);
    const second = await limiter.hit('ip:10.0.0.1', 2, MINUTE, NOW);
    const third = await limiter.hit('ip:10.0.0.1', 2, MINUTE, NOW);

    expect(first).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
    expect(second).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(third).toEqual({ allowed: false, remaining: 0, retryAfterMs: 40_000 });
  });

  it('allows exactly the limit when many hits arrive at once, across two replicas on PostgreSQL', async () => {
    // A second pool on PostgreSQL stands for a second replica; SQLite has the one connection.
    const replica =
      harness.dialect === 'postgres'
        ? new DatabaseRateLimiter((await harness.open({ url: harness.store.location, dataDir: '' })).db)
        : limiter;
    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? limiter : replica).hit('shared', 10, MINUTE, NOW)),
    );

    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
    expect(decisions.map((decision) => decision.remaining).sort((a, b) => a - b)).toEqual([
      ...Array<number>(21).fill(0),
      ...Array.from({ length: 9 }, (_, i) => i + 1),
    ]);
  });

  it('starts a new count when the next window begins', async () => {
    for (let i = 0; i < 3; i++) await limiter.hit('k', 3, MINUTE, NOW);
    expect((await limiter.hit('k', 3, MINUTE, NOW)).allowed).toBe(false);

    const nextWindow = new Date('2027-03-15T06:01:00.000Z');
    expect(await limiter.hit('k', 3, MINUTE, nextWindow)).toEqual({
      allowed: true,
      remaining: 2,
      retryAfterMs: 0,
    });
  });

  it('counts each key on its own', async () => {
    await limiter.hit('ip:10.0.0.1', 1, MINUTE, NOW);
    expect((await limiter.hit('ip:10.0.0.1', 1, MINUTE, NOW)).allowed).toBe(false);
    expect((await limiter.hit('ip:10.0.0.2', 1, MINUTE, NOW)).allowed).toBe(true);
  });

  it('prunes only the windows that have ended', async () => {
    await limiter.hit('old', 5, MINUTE, new Date('2027-03-15T05:58:30.000Z'));
    await limiter.hit('current', 5, MINUTE, NOW);
    // A day-long window that began before the expired one still counts.
    await limiter.hit('long', 5, 24 * 60 * MINUTE, new Date('2027-03-15T05:10:00.000Z'));

    expect(await limiter.prune(NOW)).toBe(1);
    const keys = await harness.db.selectFrom('rate_limits').select('key').orderBy('key').execute();
    expect(keys.map((row) => row.key)).toEqual(['current', 'long']);
  });
});
