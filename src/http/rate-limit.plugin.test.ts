import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { apiFixture, fixtureConfigDir, loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { createTestAccessToken } from '../../test/helpers/auth-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { ManualClock } from '../time/clock.ts';
import { AUTH_RATE_LIMIT, MUTATION_RATE_LIMIT, rateLimitPlugin } from './rate-limit.plugin.ts';
import { DatabaseRateLimiter } from './rate-limiter.ts';

/** 45 s into a minute window: a refused request has 15 s to wait. */
const NOW = '2027-03-15T06:00:45.000Z';

forEachDialect('rate-limit plugin', (harness) => {
  let clock: ManualClock;
  let app: FastifyInstance;

  beforeEach(() => {
    clock = new ManualClock(NOW);
    app = Fastify();
    // Stands in for the auth plugin: it identifies the caller in an earlier hook.
    app.addHook('onRequest', async (request) => {
      const name = request.headers['x-principal'];
      if (typeof name === 'string') Object.assign(request, { principal: { id: `id-${name}`, name } });
    });
    void app.register(rateLimitPlugin, { limiter: new DatabaseRateLimiter(harness.db), clock });
    app.post('/api/v1/things', async () => ({ ok: true }));
    app.post('/api/v1/other-things', async () => ({ ok: true }));
    app.get('/api/v1/things', async () => ({ ok: true }));
    app.post('/api/v1/auth/login', async () => ({ ok: true }));
    app.post(
      '/api/v1/tight',
      { config: { rateLimit: { limit: 2, windowMs: 60_000, key: 'ip' } } },
      async () => ({
        ok: true,
      }),
    );
    app.post('/api/v1/unlimited', { config: { rateLimit: false } }, async () => ({ ok: true }));
  });

  const send = (method: 'GET' | 'POST', url: string, from = '10.0.0.1', principal?: string) =>
    app.inject({
      method,
      url,
      remoteAddress: from,
      headers: principal ? { 'x-principal': principal } : {},
    });

  async function exhaust(
    count: number,
    method: 'GET' | 'POST',
    url: string,
    from?: string,
    principal?: string,
  ) {
    for (let i = 0; i < count; i++) expect((await send(method, url, from, principal)).statusCode).toBe(200);
  }

  it('answers 429 rate_limited with Retry-After once an IP has used its auth attempts', async () => {
    await exhaust(AUTH_RATE_LIMIT.limit, 'POST', '/api/v1/auth/login');
    const refused = await send('POST', '/api/v1/auth/login');

    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('15');
    expect(refused.json().error).toMatchObject({
      code: 'rate_limited',
      details: { limit: 10, window_ms: 60_000, retry_after_seconds: 15 },
    });
    // Another address is not affected, and the next window starts afresh.
    expect((await send('POST', '/api/v1/auth/login', '10.0.0.2')).statusCode).toBe(200);
    clock.advance(15_000);
    expect((await send('POST', '/api/v1/auth/login')).statusCode).toBe(200);
  });

  it('limits auth routes per IP even for different principals', async () => {
    for (let i = 0; i < AUTH_RATE_LIMIT.limit; i++)
      await send('POST', '/api/v1/auth/login', '10.0.0.1', `user${i}`);
    expect((await send('POST', '/api/v1/auth/login', '10.0.0.1', 'someone-else')).statusCode).toBe(429);
  });

  it('counts every mutating route against one budget per principal, wherever the principal comes from', async () => {
    await exhaust(MUTATION_RATE_LIMIT.limit - 1, 'POST', '/api/v1/things', '10.0.0.1', 'alice');
    await exhaust(1, 'POST', '/api/v1/other-things', '10.0.0.9', 'alice');

    expect((await send('POST', '/api/v1/things', '10.0.0.3', 'alice')).statusCode).toBe(429);
    expect((await send('POST', '/api/v1/things', '10.0.0.1', 'bob')).statusCode).toBe(200);
  });

  it('counts mutations per IP when there is no principal', async () => {
    await exhaust(MUTATION_RATE_LIMIT.limit, 'POST', '/api/v1/things', '10.0.0.1');
    expect((await send('POST', '/api/v1/things', '10.0.0.1')).statusCode).toBe(429);
    expect((await send('POST', '/api/v1/things', '10.0.0.2')).statusCode).toBe(200);
  });

  it('does not limit reads', async () => {
    await exhaust(MUTATION_RATE_LIMIT.limit + 5, 'GET', '/api/v1/things');
  });

  it("applies a route's own limit instead of the default, and none when it opts out", async () => {
    await exhaust(2, 'POST', '/api/v1/tight');
    expect((await send('POST', '/api/v1/tight')).statusCode).toBe(429);
    expect((await send('POST', '/api/v1/things')).statusCode).toBe(200);
    await exhaust(MUTATION_RATE_LIMIT.limit + 5, 'POST', '/api/v1/unlimited');
  });

  it('rejects a malformed route limit when the route is added', async () => {
    // In a plugin, as the API's routes are: registered after the rate-limit plugin, so its onRoute sees it.
    void app.register(async (routes) => {
      routes.post(
        '/api/v1/bad',
        { config: { rateLimit: { limit: 0, windowMs: 1000, key: 'ip' } } },
        async () => 'x',
      );
    });
    await expect(app.ready()).rejects.toThrow(/invalid config.rateLimit/);
  });
});

describe('rate limits in the API', () => {
  const configDir = fixtureConfigDir();
  afterAll(() => configDir.cleanup());

  forEachDialect('the app with a rate limiter', (harness) => {
    it("refuses a principal's 61st mutation in a minute with 429, leaving reads and other principals alone", async () => {
      const config = await loadEffectiveConfig(configDir.dir);
      const fixture = apiFixture(harness.db, config, { rateLimiter: new DatabaseRateLimiter(harness.db) });
      for (let i = 0; i < MUTATION_RATE_LIMIT.limit; i++) {
        expect(
          (await fixture.app.inject({ method: 'POST', url: '/api/v1/runs/nope/cancel' })).statusCode,
        ).toBe(404);
      }
      const refused = await fixture.app.inject({ method: 'POST', url: '/api/v1/runs/nope/cancel' });
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBe('60');
      expect((await fixture.app.inject({ url: '/api/v1/workspaces' })).statusCode).toBe(200);
      // The budget is the admin's (the auth plugin's principal), not the address's: another user is fine.
      const olga = await createTestAccessToken(harness.db, fixture.auth, {
        username: 'olga',
        role: 'operator',
      });
      const other = await fixture.app.inject({
        method: 'POST',
        url: '/api/v1/runs/nope/cancel',
        headers: { authorization: `Bearer ${olga}` },
      });
      expect(other.statusCode).toBe(404);
    });
  });
});
