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

    it('does not let an admin widen their own workspace patterns, only narrow them', async () => {
      const ada = await createTestToken(harness.db, {
        username: 'ada',
        role: 'admin',
        workspaces: ['team-a-*'],
      });
      for (const workspaces of [['team-*'], ['team-a-*', 'web'], null]) {
        const wider = await as(ada, 'PATCH', '/api/v1/users/ada', { workspaces });
        expect(wider.statusCode, JSON.stringify(workspaces)).toBe(403);
        expect(wider.json().error.message).toMatch(/cannot widen your own workspace patterns/);
      }
      expect((await as(ada, 'PATCH', '/api/v1/users/ada', { workspaces: ['team-a-web'] })).statusCode).toBe(
        200,
      );
      // Another admin may widen them.
      const byOther = await f.app.inject({
        method: 'PATCH',
        url: '/api/v1/users/ada',
        payload: { workspaces: null },
      });
      expect(byOther.json()).toMatchObject({ username: 'ada', workspaces: null });
    });

    const works = async (token: string) => (await as(token, 'GET', '/api/v1/me')).statusCode === 200;

    it('revokes a user’s API tokens when an admin resets their password or they change it', async () => {
      await createTestUser(harness.db, { username: 'bob', role: 'operator', password: PASSWORD });
      const beforeReset = await createTestToken(harness.db, { username: 'bob', role: 'operator' });
      await f.app.inject({
        method: 'POST',
        url: '/api/v1/users/bob/password',
        payload: { password: 'violet tugboat sings at dawn' },
      });
      expect(await works(beforeReset)).toBe(false);

      const session = (await login('bob', 'violet tugboat sings at dawn')).json();
      const beforeChange = (
        await as(session.access_token, 'POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' })
      ).json().token;
      expect(await works(beforeChange)).toBe(true);
      const change = await as(session.access_token, 'POST', '/api/v1/me/password', {
        current_password: 'violet tugboat sings at dawn',
        new_password: PASSWORD,
      });
      expect(change.statusCode).toBe(204);
      expect(await works(beforeChange)).toBe(false);
      const changes = (await f.app.inject({ url: '/api/v1/audit?action=auth.password_change' })).json().items;
      expect(changes.map((entry: { details: object }) => entry.details)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ by: 'reset', tokens_revoked: 1 }),
          expect.objectContaining({ by: 'self', tokens_revoked: 1 }),
        ]),
      );
    });

    it('revokes a user’s API tokens when they are disabled, and re-enabling brings none back', async () => {
      const token = await createTestToken(harness.db, { username: 'bob', role: 'operator' });
      const patch = (disabled: boolean) =>
        f.app.inject({ method: 'PATCH', url: '/api/v1/users/bob', payload: { disabled } });
      expect((await patch(true)).statusCode).toBe(200);
      expect((await patch(false)).statusCode).toBe(200);
      expect(await works(token)).toBe(false);
      const listed = (await f.app.inject({ url: '/api/v1/tokens' })).json().items;
      expect(listed.filter((t: { owner: string }) => t.owner === 'bob')).toEqual([
        expect.objectContaining({ revoked_at: f.clock.now().toISOString() }),
      ]);
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
      expect(audited).toMatchObject([
        { actor: expect.stringMatching(/^token:otto\/otto-/), target: 'token:otto/ci' },
      ]);
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

    it('keeps token names unique per owner, never naming another user’s token', async () => {
      const stranger = await createTestToken(harness.db, { username: 'sam', role: 'operator' });
      expect((await as(operator, 'POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' })).statusCode).toBe(
        201,
      );
      expect((await as(stranger, 'POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' })).statusCode).toBe(
        201,
      );
      const again = await as(operator, 'POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.message).toBe(
        'you already have a token named "ci"; revoke it or pick another name',
      );
    });

    it('lets an API token see and revoke only the tokens its own role and patterns would allow', async () => {
      const ada = { username: 'ada', role: 'admin' } as const;
      const adminToken = await createTestToken(harness.db, ada, { name: 'deploy', role: 'admin' });
      const scoped = await createTestToken(harness.db, ada, {
        name: 'team-a',
        role: 'operator',
        workspaces: ['team-a-*'],
      });
      const viewer = await createTestToken(harness.db, ada, { name: 'watch', role: 'viewer' });
      const ids = Object.fromEntries(
        (await f.app.inject({ url: '/api/v1/tokens' }))
          .json()
          .items.map((t: { name: string; id: string }) => [t.name, t.id]),
      );
      const names = async (token: string) =>
        (await as(token, 'GET', '/api/v1/tokens'))
          .json()
          .items.map((t: { name: string }) => t.name)
          .sort();
      expect(await names(viewer)).toEqual(['watch']);
      expect(await names(scoped)).toEqual(['team-a']);
      expect(await names(adminToken)).toEqual(expect.arrayContaining(['deploy', 'team-a', 'watch']));
      for (const [caller, target] of [
        [viewer, 'deploy'],
        [viewer, 'team-a'],
        [scoped, 'deploy'],
      ] as const) {
        const refused = await as(caller, 'DELETE', `/api/v1/tokens/${ids[target]}`);
        expect(refused.statusCode, target).toBe(403);
      }
      expect((await as(adminToken, 'GET', '/api/v1/me')).statusCode).toBe(200);
      expect((await as(scoped, 'DELETE', `/api/v1/tokens/${ids.watch}`)).statusCode).toBe(403);
      expect((await as(adminToken, 'DELETE', `/api/v1/tokens/${ids.watch}`)).statusCode).toBe(204);
      expect((await as(scoped, 'DELETE', `/api/v1/tokens/${ids['team-a']}`)).statusCode).toBe(204);
    });

    it('never creates a token that outlives the token creating it', async () => {
      const parent = (
        await as(operator, 'POST', '/api/v1/tokens', { name: 'parent', role: 'operator', expires_in: '1h' })
      ).json();
      const longer = await as(parent.token, 'POST', '/api/v1/tokens', {
        name: 'child',
        role: 'viewer',
        expires_in: '2h',
      });
      expect(longer.statusCode).toBe(403);
      expect(longer.json().error.message).toMatch(
        /cannot outlive the token that creates it: expires_in at most 1h/,
      );
      const unbounded = await as(parent.token, 'POST', '/api/v1/tokens', { name: 'child', role: 'viewer' });
      expect(unbounded.json()).toMatchObject({ expires_at: parent.expires_at });
      const shorter = await as(parent.token, 'POST', '/api/v1/tokens', {
        name: 'brief',
        role: 'viewer',
        expires_in: '30m',
      });
      expect(shorter.statusCode).toBe(201);
    });

    it('never creates a token that outlives the login session creating it', async () => {
      await createTestUser(harness.db, { username: 'bob', role: 'operator', password: PASSWORD });
      const session = (await login('bob', PASSWORD)).json();
      const sessionEnd = new Date(f.clock.now().getTime() + 7 * 86_400_000).toISOString();
      const create = (body: object) => as(session.access_token, 'POST', '/api/v1/tokens', body);
      const longer = await create({ name: 'ci', role: 'viewer', expires_in: '8d' });
      expect(longer.statusCode).toBe(403);
      expect(longer.json().error.message).toMatch(/cannot outlive the login session that creates it/);
      expect((await create({ name: 'ci', role: 'viewer' })).json()).toMatchObject({ expires_at: sessionEnd });
      expect((await create({ name: 'day', role: 'viewer', expires_in: '1d' })).statusCode).toBe(201);
    });

    it('answers every token route with Cache-Control: no-store', async () => {
      const created = await as(operator, 'POST', '/api/v1/tokens', { name: 'ci', role: 'viewer' });
      const listed = await as(operator, 'GET', '/api/v1/tokens');
      const revoked = await as(operator, 'DELETE', `/api/v1/tokens/${created.json().id}`);
      for (const response of [created, listed, revoked])
        expect(response.headers['cache-control']).toBe('no-store');
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
