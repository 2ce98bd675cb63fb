import argon2 from 'argon2';
import { SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiFixture, forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestUser, FIXTURE_JWT_KEY, fixtureAuthSettings } from '../../test/helpers/auth-fixture.ts';
import { getUserByName } from '../auth/user.repo.ts';
import { createMetrics, type TideMetrics } from '../observability/metrics.ts';

const PASSWORD = 'correct horse battery staple';
const THRESHOLD = 3;

interface AuditItem {
  actor: string;
  action: string;
  target: string | null;
  result: string;
  details: Record<string, unknown> | null;
}

forEachApiDialect('authentication', (fixture, harness) => {
  let f: ApiFixture;
  let metrics: TideMetrics;
  beforeEach(async () => {
    metrics = createMetrics();
    const base = fixture();
    f = apiFixture(harness.db, base.config, {
      metrics,
      auth: fixtureAuthSettings({ lockout: { threshold: THRESHOLD, durationMs: 15 * 60_000 } }),
    });
    await createTestUser(harness.db, { username: 'alice', role: 'operator', password: PASSWORD });
  });

  const login = (username: string, password: string, remoteAddress = '10.0.0.1') =>
    f.anonymous({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password },
      remoteAddress,
    });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const me = (token: string) => f.anonymous({ url: '/api/v1/me', headers: bearer(token) });
  const audit = async (action: string): Promise<AuditItem[]> =>
    (await f.app.inject({ url: `/api/v1/audit?action=${action}` })).json().items;
  const counter = async (metric: { get(): Promise<{ values: { value: number }[] }> }) =>
    (await metric.get()).values[0]?.value ?? 0;

  describe('login', () => {
    it('re-hashes a password stored with older argon2 parameters at its next login, keeping its date', async () => {
      const older = await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2 });
      await harness.db
        .updateTable('users')
        .set({ password_hash: older })
        .where('username', '=', 'alice')
        .execute();
      const before = await getUserByName(harness.db, 'alice');
      expect((await login('alice', PASSWORD)).statusCode).toBe(200);
      const after = await getUserByName(harness.db, 'alice');
      expect(after?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=7168,p=1,t=5\$/);
      expect(after?.passwordChangedAt).toBe(before?.passwordChangedAt);
      expect((await login('alice', PASSWORD)).statusCode).toBe(200);
      expect((await getUserByName(harness.db, 'alice'))?.passwordHash).toBe(after?.passwordHash);
    });

    it('answers a good password with an access token, a refresh token and their lifetime', async () => {
      const response = await login('alice', PASSWORD);
      expect(response.statusCode).toBe(200);
      const body = response.json();
      expect(body).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
      });
      expect((await me(body.access_token)).json()).toMatchObject({
        username: 'alice',
        role: 'operator',
        kind: 'user',
      });
      expect(await audit('auth.login')).toMatchObject([
        { actor: 'alice', target: 'user:alice', result: 'success' },
      ]);
    });

    it('answers an unknown user, a wrong password and a locked account alike, and audits each', async () => {
      const unknown = await login('mallory', PASSWORD);
      const wrong = await login('alice', 'not the password at all');
      for (let i = 1; i < THRESHOLD; i++) await login('alice', 'not the password at all');
      const locked = await login('alice', PASSWORD);
      for (const response of [unknown, wrong, locked]) {
        expect(response.statusCode).toBe(401);
        expect(response.json()).toEqual({
          error: { code: 'invalid_credentials', message: 'invalid username or password' },
        });
      }
      const reasons = (await audit('auth.login')).map((entry) => [
        entry.actor,
        entry.target,
        entry.result,
        entry.details?.reason,
      ]);
      expect(reasons).toContainEqual(['anonymous', 'user:mallory', 'failure', 'unknown_user']);
      expect(reasons).toContainEqual(['anonymous', 'user:alice', 'failure', 'wrong_password']);
      expect(reasons).toContainEqual(['anonymous', 'user:alice', 'failure', 'locked']);
      expect(await audit('auth.lockout')).toMatchObject([{ target: 'user:alice', result: 'denied' }]);
      expect(await counter(metrics.loginFailuresTotal)).toBe(THRESHOLD + 2);
    });

    it('locks after exactly the threshold of parallel wrong passwords, counting one lockout', async () => {
      const wrong = () => login('alice', 'not the password at all');
      await Promise.all(Array.from({ length: THRESHOLD - 1 }, wrong));
      // One short of the threshold: the right password still works, and clears the account's count.
      expect((await login('alice', PASSWORD)).statusCode).toBe(200);
      const answers = await Promise.all(Array.from({ length: THRESHOLD * 3 }, wrong));
      expect(answers.every((response) => response.statusCode === 401)).toBe(true);
      expect((await login('alice', PASSWORD)).statusCode).toBe(401);
      expect(await counter(metrics.lockoutsTotal)).toBe(1);
      expect(await audit('auth.lockout')).toHaveLength(1);
    });

    it('verifies no more than the threshold of 50 parallel wrong passwords, then refuses the right one', async () => {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => login('alice', 'not the password at all', `10.1.0.${i}`)),
      );
      expect(new Set(answers.map((response) => response.body))).toEqual(
        new Set([
          JSON.stringify({ error: { code: 'invalid_credentials', message: 'invalid username or password' } }),
        ]),
      );
      const reasons = (await audit('auth.login')).map((entry) => entry.details?.reason);
      expect(reasons.filter((reason) => reason === 'wrong_password')).toHaveLength(THRESHOLD);
      expect(reasons.filter((reason) => reason === 'locked')).toHaveLength(50 - THRESHOLD);
      expect(await audit('auth.lockout')).toMatchObject([{ target: 'user:alice' }]);
      expect((await login('alice', PASSWORD, '10.2.0.1')).statusCode).toBe(401);
    });

    it('lets no more than the address threshold of 50 parallel attempts from one address through', async () => {
      const addressThreshold = THRESHOLD * 4;
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => login(`nobody-${i}`, 'not the password at all', '10.6.6.6')),
      );
      const reasons = (await audit('auth.login')).map((entry) => entry.details?.reason);
      expect(reasons.filter((reason) => reason === 'unknown_user')).toHaveLength(addressThreshold);
      expect(reasons.filter((reason) => reason === 'locked')).toHaveLength(50 - addressThreshold);
      expect((await login('alice', PASSWORD, '10.6.6.6')).statusCode).toBe(401);
      expect((await login('alice', PASSWORD, '10.0.0.2')).statusCode).toBe(200);
    });

    it('counts wrong current passwords of POST /me/password toward the lockout, and refuses it while locked', async () => {
      const { access_token: token } = (await login('alice', PASSWORD)).json();
      const change = (current: string, remoteAddress: string) =>
        f.anonymous({
          method: 'POST',
          url: '/api/v1/me/password',
          headers: bearer(token),
          payload: { current_password: current, new_password: 'a whole new sentence to remember' },
          remoteAddress,
        });
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => change('not the password at all', `10.3.0.${i}`)),
      );
      expect(answers.every((response) => response.json().error?.code === 'invalid_credentials')).toBe(true);
      const reasons = (await audit('auth.password_change')).map((entry) => entry.details?.reason);
      expect(reasons.filter((reason) => reason === 'wrong_current_password')).toHaveLength(THRESHOLD);
      expect(reasons.filter((reason) => reason === 'locked')).toHaveLength(50 - THRESHOLD);
      const right = await change(PASSWORD, '10.4.0.1');
      expect(right.statusCode).toBe(401);
      expect(right.json().error.code).toBe('invalid_credentials');
      expect((await login('alice', PASSWORD, '10.4.0.2')).statusCode).toBe(401);
      expect(await audit('auth.lockout')).toMatchObject([{ target: 'user:alice' }]);
    });

    it('lifts the lock when the duration has passed, or at once when an admin unlocks the account', async () => {
      for (let i = 0; i < THRESHOLD; i++) await login('alice', 'not the password at all');
      expect((await login('alice', PASSWORD)).statusCode).toBe(401);
      f.clock.advance(15 * 60_000 + 1);
      expect((await login('alice', PASSWORD)).statusCode).toBe(200);

      for (let i = 0; i < THRESHOLD; i++) await login('alice', 'not the password at all');
      const listed = (await f.app.inject({ url: '/api/v1/users/alice' })).json();
      expect(listed.locked_until).toBe(new Date(f.clock.now().getTime() + 15 * 60_000).toISOString());
      const unlock = await f.app.inject({ method: 'POST', url: '/api/v1/users/alice/unlock' });
      expect(unlock.statusCode).toBe(204);
      expect((await login('alice', PASSWORD)).statusCode).toBe(200);
      expect(await audit('auth.unlock')).toMatchObject([{ actor: 'fixture-admin', target: 'user:alice' }]);
    });

    it('locks a source address that keeps failing across accounts, not the other addresses', async () => {
      for (let i = 0; i < THRESHOLD * 4; i++)
        await login(`nobody-${i}`, 'not the password at all', '10.6.6.6');
      expect((await login('alice', PASSWORD, '10.6.6.6')).statusCode).toBe(401);
      expect((await login('alice', PASSWORD, '10.0.0.2')).statusCode).toBe(200);
      expect(await audit('auth.lockout')).toMatchObject([{ target: 'ip:10.6.6.6' }]);
    });

    it('refuses a disabled user with the same answer', async () => {
      await createTestUser(harness.db, { username: 'gone', role: 'viewer', password: PASSWORD });
      await f.app.inject({ method: 'PATCH', url: '/api/v1/users/gone', payload: { disabled: true } });
      expect((await login('gone', PASSWORD)).json().error.code).toBe('invalid_credentials');
    });
  });

  describe('refresh tokens', () => {
    const refresh = (token: string) =>
      f.anonymous({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } });

    it('exchanges a refresh token once for a new pair', async () => {
      const first = (await login('alice', PASSWORD)).json();
      const second = await refresh(first.refresh_token);
      expect(second.statusCode).toBe(200);
      expect(second.json().refresh_token).not.toBe(first.refresh_token);
      expect((await me(second.json().access_token)).statusCode).toBe(200);
    });

    it('revokes the whole session when a spent refresh token is used again', async () => {
      const first = (await login('alice', PASSWORD)).json();
      const second = (await refresh(first.refresh_token)).json();
      const reuse = await refresh(first.refresh_token);
      expect(reuse.statusCode).toBe(401);
      expect(reuse.json().error.code).toBe('unauthenticated');
      // The thief's replay ended the legitimate holder's session too: its tokens stop working.
      expect((await refresh(second.refresh_token)).statusCode).toBe(401);
      expect((await me(second.access_token)).statusCode).toBe(401);
      expect((await me(first.access_token)).statusCode).toBe(401);
      expect(await audit('auth.refresh_reuse')).toMatchObject([{ target: 'user:alice', result: 'denied' }]);
      // Another login is another session, untouched.
      expect((await login('alice', PASSWORD)).statusCode).toBe(200);
    });

    it('answers login and refresh with Cache-Control: no-store, failures included', async () => {
      const first = await login('alice', PASSWORD);
      const second = await refresh(first.json().refresh_token);
      const failed = await login('alice', 'not the password at all');
      for (const response of [first, second, failed])
        expect(response.headers['cache-control']).toBe('no-store');
    });

    it('refuses an expired or unknown refresh token', async () => {
      const first = (await login('alice', PASSWORD)).json();
      expect((await refresh('made-up')).statusCode).toBe(401);
      f.clock.advance(7 * 86_400_000 + 1);
      expect((await refresh(first.refresh_token)).statusCode).toBe(401);
    });

    it('ends the session on logout: its access and refresh tokens stop working', async () => {
      const tokens = (await login('alice', PASSWORD)).json();
      const logout = await f.anonymous({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: bearer(tokens.access_token),
        payload: { refresh_token: tokens.refresh_token },
      });
      expect(logout.statusCode).toBe(204);
      expect((await me(tokens.access_token)).statusCode).toBe(401);
      expect((await refresh(tokens.refresh_token)).statusCode).toBe(401);
      expect(await audit('auth.logout')).toMatchObject([{ actor: 'alice', result: 'success' }]);
    });

    it('ends every session of a user who changes their password', async () => {
      const one = (await login('alice', PASSWORD)).json();
      const two = (await login('alice', PASSWORD)).json();
      const change = await f.anonymous({
        method: 'POST',
        url: '/api/v1/me/password',
        headers: bearer(one.access_token),
        payload: { current_password: PASSWORD, new_password: 'a whole new sentence to remember' },
      });
      expect(change.statusCode).toBe(204);
      for (const tokens of [one, two]) {
        expect((await me(tokens.access_token)).statusCode).toBe(401);
        expect((await refresh(tokens.refresh_token)).statusCode).toBe(401);
      }
      expect((await login('alice', 'a whole new sentence to remember')).statusCode).toBe(200);
      expect(await audit('auth.password_change')).toMatchObject([{ actor: 'alice', result: 'success' }]);
    });
  });

  describe('access tokens', () => {
    const claims = { typ: 'access', name: 'alice', role: 'operator', ws: null };
    const now = () => Math.floor(f.clock.now().getTime() / 1000);
    let sub: string;
    let sid: string;
    beforeEach(async () => {
      const tokens = (await login('alice', PASSWORD)).json();
      const payload = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString());
      ({ sub, sid } = payload);
    });
    const sign = (
      options: {
        alg?: string;
        aud?: string;
        iss?: string;
        typ?: string;
        exp?: number;
        key?: Uint8Array;
      } = {},
    ) =>
      new SignJWT({ ...claims, sid, typ: options.typ ?? 'access' })
        .setProtectedHeader({ alg: options.alg ?? 'HS256' })
        .setSubject(sub)
        .setJti('test')
        .setIssuer(options.iss ?? 'tide')
        .setAudience(options.aud ?? 'tide-api')
        .setIssuedAt(now())
        .setExpirationTime(options.exp ?? now() + 60)
        .sign(options.key ?? FIXTURE_JWT_KEY);

    it('accepts a well-formed token signed with the key', async () => {
      expect((await me(await sign())).statusCode).toBe(200);
    });

    it('refuses another algorithm, another audience, issuer or type, an expired token and another key', async () => {
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(
        JSON.stringify({
          ...claims,
          sid,
          sub,
          aud: 'tide-api',
          iss: 'tide',
          exp: now() + 60,
          iat: now(),
          jti: 'x',
        }),
      ).toString('base64url')}.`;
      const refused = {
        'alg none': unsigned,
        'alg HS512': await sign({ alg: 'HS512' }),
        'wrong aud': await sign({ aud: 'another-api' }),
        'wrong iss': await sign({ iss: 'https://elsewhere.example' }),
        'wrong typ': await sign({ typ: 'refresh' }),
        expired: await sign({ exp: now() - 1 }),
        'other key': await sign({
          key: new TextEncoder().encode('another-signing-key-0123456789-abcdefghij'),
        }),
      };
      for (const [label, token] of Object.entries(refused)) {
        const response = await me(token);
        expect(response.statusCode, label).toBe(401);
        expect(response.json().error.code, label).toBe('unauthenticated');
      }
    });

    it('refuses a malformed Authorization header instead of treating the caller as anonymous', async () => {
      const response = await f.anonymous({
        url: '/api/v1/me',
        headers: { authorization: 'Basic YWxpY2U6cHc=' },
      });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.message).toMatch(/malformed Authorization header/);
    });
  });
});
