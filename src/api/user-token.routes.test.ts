import { beforeEach, describe, expect, it } from 'vitest';
import { forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestToken, createTestUser } from '../../test/helpers/auth-fixture.ts';

const PASSWORD = 'correct horse battery staple';

forEachApiDialect('users and API tokens', (fixture, harness) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });
  const as = (token: string, method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, payload?: object) =>
    f.anonymous({ method, url, payload, headers: { authorization: `Bearer ${token}` } });
  const login = (username: string, password: string) =>
    f.anonymous({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });

  describe('users', () => {
    it('lets an admin create a user who can then log in with the role and patterns given', async () => {
      const created = await f.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        payload: { username: 'bob', password: PASSWORD, role: 'operator', workspaces: ['team-a-*'] },
      });
      expect(created.statusCode).toBe(201);
      expect(created.json()).toMatchObject({
        username: 'bob',
        role: 'operator',
        workspaces: ['team-a-*'],
        disabled: false,
      });
      expect(created.body).not.toContain('argon2');
      const session = (await login('bob', PASSWORD)).json();
      expect((await as(session.access_token, 'GET', '/api/v1/me')).json()).toMatchObject({
        workspaces: ['team-a-*'],
      });
      const users = (await f.app.inject({ url: '/api/v1/users' })).json().items;
      expect(users.map((user: { username: string }) => user.username)).toEqual(['bob', 'fixture-admin']);
      expect(
        (
          await f.app.inject({
            method: 'POST',
            url: '/api/v1/users',
            payload: { username: 'bob', password: PASSWORD, role: 'viewer' },
          })
        ).statusCode,
      ).toBe(409);
      const audited = (await f.app.inject({ url: '/api/v1/audit?action=user.create' })).json().items;
      expect(audited).toMatchObject([{ actor: 'fixture-admin', target: 'user:bob', result: 'success' }]);
    });

    it('applies the password policy when creating a user, resetting and changing a password', async () => {
      const weak = ['short', 'bob', 'Password1234!', 'qwertyqwerty'];
      for (const password of weak) {
        const response = await f.app.inject({
          method: 'POST',
          url: '/api/v1/users',
          payload: { username: 'bob', password, role: 'viewer' },
        });
        expect(response.statusCode, password).toBe(400);
        expect(response.json().error.code, password).toBe('validation_failed');
      }
      const usernameAsPassword = await f.app.inject({
        method: 'POST',
        url: '/api/v1/users',
        payload: { username: 'longusername12', password: 'LongUsername12', role: 'viewer' },
      });
      expect(usernameAsPassword.json().error.message).toMatch(/must not be the username/);
      await createTestUser(harness.db, { username: 'bob', role: 'viewer', password: PASSWORD });
      const reset = await f.app.inject({
        method: 'POST',
        url: '/api/v1/users/bob/password',
        payload: { password: 'letmein12345' },
      });
      expect(reset.json().error.message).toMatch(/too common/);
      const session = (await login('bob', PASSWORD)).json();
      const change = await as(session.access_token, 'POST', '/api/v1/me/password', {
        current_password: PASSWORD,
        new_password: '123456789012',
      });
      expect(change.statusCode).toBe(400);
      const good = await f.app.inject({
        method: 'POST',
        url: '/api/v1/users/bob/password',
        payload: { password: 'violet tugboat sings at dawn' },
      });
      expect(good.statusCode).toBe(204);
      expect((await login('bob', 'violet tugboat sings at dawn')).statusCode).toBe(200);
    });

    it('does not let the last admin be demoted or disabled', async () => {
      const response = await f.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/fixture-admin',
        payload: { disabled: true },
      });
      expect(response.statusCode).toBe(409);
    });
  });

  describe('API tokens', () => {
    let operator: string;
    beforeEach(async () => {
      operator = await createTestToken(harness.db, {
        username: 'otto',
        role: 'operator',
        workspaces: ['team-a-*'],
      });
    });

    it('creates a token shown once, which then authenticates as its role and patterns', async () => {
      const created = await as(operator, 'POST', '/api/v1/tokens', {
        name: 'ci',
        role: 'viewer',
        expires_in: '30d',
      });
      expect(created.statusCode).toBe(201);
      const body = created.json();
      expect(body).toMatchObject({ name: 'ci', owner: 'otto', role: 'viewer', workspaces: ['team-a-*'] });
      expect(body.token).toMatch(/^tide_[A-Za-z0-9_-]{43}$/);
      expect(body.expires_at).toBe(new Date(f.clock.now().getTime() + 30 * 86_400_000).toISOString());
      expect((await as(body.token, 'GET', '/api/v1/me')).json()).toMatchObject({
        kind: 'api_token',
        role: 'viewer',
        token: { id: body.id, name: 'ci' },
      });
      const listed = (await as(operator, 'GET', '/api/v1/tokens')).json().items;
      expect(listed.map((token: { name: string }) => token.name)).toContain('ci');
      expect(JSON.stringify(listed)).not.toContain(body.token);
    });

    it('refuses a role above the creator’s and patterns outside the creator’s', async () => {
      const admin = await as(operator, 'POST', '/api/v1/tokens', { name: 'up', role: 'admin' });
      expect(admin.statusCode).toBe(403);
      const wider = await as(operator, 'POST', '/api/v1/tokens', {
        name: 'wide',
        role: 'viewer',
        workspaces: ['team-*'],
      });
      expect(wider.statusCode).toBe(403);
      expect(wider.json().error.message).toMatch(/team-\*/);
      const narrower = await as(operator, 'POST', '/api/v1/tokens', {
        name: 'narrow',
        role: 'viewer',
        workspaces: ['team-a-web'],
      });
      expect(narrower.statusCode).toBe(201);
    });

    it('stops a revoked token at its next request', async () => {
      const { id, token } = (
        await as(operator, 'POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' })
      ).json();
      expect((await as(token, 'GET', '/api/v1/workspaces')).statusCode).toBe(200);
      expect((await as(operator, 'DELETE', `/api/v1/tokens/${id}`)).statusCode).toBe(204);
      const after = await as(token, 'GET', '/api/v1/workspaces');
      expect(after.statusCode).toBe(401);
      expect(after.json().error.code).toBe('unauthenticated');
      expect((await as(operator, 'DELETE', `/api/v1/tokens/${id}`)).statusCode).toBe(409);
      const audited = (await f.app.inject({ url: '/api/v1/audit?action=token.revoke' })).json().items;
      expect(audited).toMatchObject([{ actor: expect.stringMatching(/^token:otto-/), target: 'token:ci' }]);
    });

    it('stops an expired token, and a token whose owner is disabled', async () => {
      const { token } = (
        await as(operator, 'POST', '/api/v1/tokens', { name: 'brief', role: 'viewer', expires_in: 3600 })
      ).json();
      f.clock.advance(3600_000);
      expect((await as(token, 'GET', '/api/v1/me')).statusCode).toBe(401);
      await f.app.inject({ method: 'PATCH', url: '/api/v1/users/otto', payload: { disabled: true } });
      expect((await as(operator, 'GET', '/api/v1/me')).statusCode).toBe(401);
    });

    it('shows and revokes only the caller’s own tokens, while an admin manages all', async () => {
      const { id } = (await as(operator, 'POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' })).json();
      const stranger = await createTestToken(harness.db, { username: 'sam', role: 'operator' });
      expect(
        (await as(stranger, 'GET', '/api/v1/tokens')).json().items.map((t: { owner: string }) => t.owner),
      ).toEqual(['sam']);
      expect((await as(stranger, 'DELETE', `/api/v1/tokens/${id}`)).statusCode).toBe(404);
      const all = (await f.app.inject({ url: '/api/v1/tokens' })).json().items;
      expect(new Set(all.map((t: { owner: string }) => t.owner))).toEqual(new Set(['otto', 'sam']));
      expect((await f.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}` })).statusCode).toBe(204);
    });
  });
});
