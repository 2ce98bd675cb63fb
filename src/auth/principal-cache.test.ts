import { randomUUID } from 'node:crypto';
import { beforeEach, expect, it } from 'vitest';
import { forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestUser } from '../../test/helpers/auth-fixture.ts';
import { issueAccessToken } from './access-token.ts';
import { createFamily, revokeFamily } from './session.repo.ts';

const me = (fixture: ApiFixture, token: string) =>
  fixture.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

forEachApiDialect('a principal resolved once, asked for again', (fixture, harness) => {
  let f: ApiFixture;
  let token: string;
  let sessionId: string;
  let userId: string;
  beforeEach(async () => {
    f = fixture();
    const user = await createTestUser(harness.db, { username: 'cached', role: 'operator' }, f.clock.now());
    userId = user.id;
    sessionId = randomUUID();
    await createFamily(harness.db, { id: sessionId, userId, now: f.clock.now() });
    ({ token } = await issueAccessToken(
      { ...f.auth.accessToken, ttlMs: 15 * 60_000 },
      { userId, username: user.username, role: user.role, workspaces: null, sessionId },
      f.clock.now(),
    ));
  });

  it('stops working at the next request once its session is revoked', async () => {
    expect((await me(f, token)).statusCode).toBe(200);
    expect((await me(f, token)).statusCode).toBe(200);
    await revokeFamily(harness.db, sessionId, 'logout', f.clock.now());
    expect((await me(f, token)).statusCode).toBe(401);
  });

  it('stops working at the next request once its user is disabled, and a role change applies at once', async () => {
    expect((await me(f, token)).json()).toMatchObject({ role: 'operator' });
    await harness.db.updateTable('users').set({ role: 'viewer' }).where('id', '=', userId).execute();
    expect((await me(f, token)).json()).toMatchObject({ role: 'viewer' });
    await harness.db.updateTable('users').set({ disabled: 1 }).where('id', '=', userId).execute();
    expect((await me(f, token)).statusCode).toBe(401);
  });

  it('stops working when the token expires, with no write in between', async () => {
    expect((await me(f, token)).statusCode).toBe(200);
    f.clock.advance(15 * 60_000);
    expect((await me(f, token)).statusCode).toBe(401);
  });

  it('is never confused with another credential', async () => {
    expect((await me(f, token)).json()).toMatchObject({ username: 'cached' });
    expect((await f.app.inject({ url: '/api/v1/me' })).json()).toMatchObject({ username: 'fixture-admin' });
    expect((await me(f, `${token}x`)).statusCode).toBe(401);
  });
});
