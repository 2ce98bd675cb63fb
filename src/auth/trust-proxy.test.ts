import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiFixture,
  fixtureConfigDir,
  loadEffectiveConfig,
  type ApiFixture,
} from '../../test/helpers/api-fixture.ts';
import { fixtureAuthSettings } from '../../test/helpers/auth-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { parseEnv } from '../env/env.schema.ts';
import { AUTH_RATE_LIMIT } from '../http/rate-limit.plugin.ts';
import { DatabaseRateLimiter } from '../http/rate-limiter.ts';
import { parseTrustProxy, type TrustProxy } from './trust-proxy.ts';

describe('TIDE_TRUST_PROXY', () => {
  it('is off when unset or blank, a hop count when a number, else a list of addresses and ranges', () => {
    expect(parseTrustProxy(undefined)).toEqual({ ok: true, value: false });
    expect(parseTrustProxy('  ')).toEqual({ ok: true, value: false });
    expect(parseTrustProxy('2')).toEqual({ ok: true, value: 2 });
    expect(parseTrustProxy('10.0.0.0/8, 192.168.1.10,2001:db8::/32,::1')).toEqual({
      ok: true,
      value: ['10.0.0.0/8', '192.168.1.10', '2001:db8::/32', '::1'],
    });
  });

  it('refuses anything else, naming each bad entry', () => {
    expect(parseEnv({ TIDE_TRUST_PROXY: 'true' })).toEqual({
      ok: false,
      errors: [
        'TIDE_TRUST_PROXY: "true" is not an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32); expected the proxies\' addresses, or a hop count alone such as 1',
      ],
    });
    const bad = parseTrustProxy('10.0.0.0/33,proxy.example.com,1,10.1.0.0/16,fe80::/129,10.0.0.0/8/8');
    expect(bad.ok ? [] : bad.errors.map((error) => error.split(' is not')[0])).toEqual([
      '"10.0.0.0/33"',
      '"proxy.example.com"',
      '"1"',
      '"fe80::/129"',
      '"10.0.0.0/8/8"',
    ]);
    expect(parseTrustProxy('0')).toEqual({
      ok: false,
      errors: ['a hop count must be at least 1 (leave it unset to trust no proxy)'],
    });
  });
});

forEachDialect('the client address behind a proxy', (harness) => {
  let config: EffectiveConfig;
  const configDir = fixtureConfigDir();
  beforeAll(async () => {
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());

  const appTrusting = (trustProxy?: TrustProxy): ApiFixture =>
    apiFixture(harness.db, config, {
      auth: fixtureAuthSettings(trustProxy === undefined ? {} : { trustProxy }),
      rateLimiter: new DatabaseRateLimiter(harness.db),
    });
  /** A failed login (no such user) through `from`, claiming to forward for `forwardedFor`. */
  const login = (f: ApiFixture, from: string, forwardedFor: string) =>
    f.anonymous({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: 'nobody', password: 'not the password at all' },
      headers: { 'x-forwarded-for': forwardedFor },
      remoteAddress: from,
    });
  /** Spends the per-address auth budget of the address the app sees, then tries once more. */
  const exhaust = async (f: ApiFixture, from: string, forwardedFor: (i: number) => string) => {
    for (let i = 0; i < AUTH_RATE_LIMIT.limit; i++) await login(f, from, forwardedFor(i));
    return (await login(f, from, forwardedFor(AUTH_RATE_LIMIT.limit))).statusCode;
  };
  const sourceIps = async (f: ApiFixture) =>
    new Set(
      (await f.app.inject({ url: '/api/v1/audit?action=auth.login' }))
        .json()
        .items.map((entry: { source_ip: string }) => entry.source_ip),
    );

  it('keys the per-address limits and lockout on the forwarded client of a trusted proxy', async () => {
    const f = appTrusting(['10.0.0.0/8']);
    expect(await exhaust(f, '10.0.0.5', () => '203.0.113.7')).toBe(429);
    // Another client through the same proxy has its own budget.
    expect((await login(f, '10.0.0.5', '203.0.113.8')).statusCode).toBe(401);
    expect(await sourceIps(f)).toEqual(new Set(['203.0.113.7', '203.0.113.8']));
    const keys = await harness.db.selectFrom('login_failures').select('key').orderBy('key').execute();
    expect(keys.map((row) => row.key)).toEqual(['ip:203.0.113.7', 'ip:203.0.113.8']);
  });

  it('takes the address the nearest proxy saw when given a hop count', async () => {
    const f = appTrusting(1);
    await login(f, '10.0.0.5', '198.51.100.1, 203.0.113.9');
    expect(await sourceIps(f)).toEqual(new Set(['203.0.113.9']));
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
    const f = appTrusting(['10.0.0.0/8']);
    expect(await exhaust(f, '192.0.2.1', (i) => `203.0.113.${i}`)).toBe(429);
    expect(await sourceIps(f)).toEqual(new Set(['192.0.2.1']));
  });

  it('ignores X-Forwarded-For by default', async () => {
    const f = appTrusting();
    expect(await exhaust(f, '10.0.0.5', (i) => `203.0.113.${i}`)).toBe(429);
    expect(await sourceIps(f)).toEqual(new Set(['10.0.0.5']));
  });
});
