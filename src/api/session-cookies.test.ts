import { beforeEach, expect, it } from 'vitest';
import { forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestUser } from '../../test/helpers/auth-fixture.ts';

const PASSWORD = 'correct horse battery staple';
const ORIGIN = 'http://localhost:80';

/** `name=value` of each Set-Cookie, and the attributes per cookie name. */
function cookiesOf(
  setCookie: string | string[] | undefined,
): Map<string, { value: string; attributes: string }> {
  const cookies = new Map<string, { value: string; attributes: string }>();
  for (const line of [setCookie ?? []].flat()) {
    const [pair = '', ...attributes] = line.split('; ');
    const [name = '', value = ''] = pair.split('=');
    cookies.set(name, { value, attributes: attributes.join('; ') });
  }
  return cookies;
}

forEachApiDialect('browser sessions', (fixture, harness) => {
  let f: ApiFixture;
  let jar: Map<string, { value: string; attributes: string }>;
  let csrf: string;
  beforeEach(async () => {
    f = fixture();
    await createTestUser(harness.db, { username: 'alice', role: 'operator', password: PASSWORD });
    const response = await f.anonymous({
      method: 'POST',
      url: '/api/v1/auth/login?session=cookie',
      headers: { origin: ORIGIN },
      payload: { username: 'alice', password: PASSWORD },
    });
    expect(response.statusCode, response.body).toBe(200);
    jar = cookiesOf(response.headers['set-cookie']);
    csrf = response.json().csrf_token;
  });
  const cookie = () => [...jar].map(([name, { value }]) => `${name}=${value}`).join('; ');
  const send = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}) =>
    f.anonymous({ method, url, headers: { cookie: cookie(), ...headers } });

  it('keeps the tokens in httpOnly SameSite=Strict cookies and gives the page only the CSRF token', async () => {
    expect([...jar.keys()].sort()).toEqual(['tide_access', 'tide_csrf', 'tide_refresh']);
    for (const name of ['tide_access', 'tide_refresh']) {
      expect(jar.get(name)?.attributes).toMatch(/HttpOnly/);
      expect(jar.get(name)?.attributes).toMatch(/SameSite=Strict/);
    }
    expect(jar.get('tide_csrf')?.attributes).not.toMatch(/HttpOnly/);
    expect(jar.get('tide_refresh')?.attributes).toMatch(/Path=\/api\/v1\/auth/);
    expect(jar.get('tide_csrf')?.value).toBe(csrf);
    const reads = await send('GET', '/api/v1/me');
    expect(reads.json()).toMatchObject({ username: 'alice', via: 'cookie' });
  });

  it('refuses a cookie-authenticated POST without the CSRF header, with a wrong one, or from another origin', async () => {
    const cases: [string, Record<string, string>][] = [
      ['no header', { origin: ORIGIN }],
      ['wrong token', { origin: ORIGIN, 'x-csrf-token': 'forged' }],
      ['foreign origin', { origin: 'https://evil.example.net', 'x-csrf-token': csrf }],
      ['no origin', { 'x-csrf-token': csrf }],
    ];
    for (const [label, headers] of cases) {
      const response = await send('POST', '/api/v1/workspaces/web/plan', headers);
      expect(response.statusCode, label).toBe(403);
      expect(response.json().error.code, label).toBe('csrf_failed');
    }
    const audited = (await f.app.inject({ url: '/api/v1/audit?action=auth.denied' })).json().items;
    expect(audited[0]).toMatchObject({ actor: 'alice', target: 'workspace:web', result: 'denied' });
  });

  it('accepts a cookie-authenticated POST with the CSRF header and a same-origin Origin', async () => {
    const response = await send('POST', '/api/v1/workspaces/web/plan', {
      origin: ORIGIN,
      'x-csrf-token': csrf,
    });
    expect(response.statusCode).toBe(202);
  });

  it('needs no CSRF token for Bearer requests, which a foreign page cannot make a browser send', async () => {
    const tokens = (
      await f.anonymous({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { username: 'alice', password: PASSWORD },
      })
    ).json();
    const response = await f.anonymous({
      method: 'POST',
      url: '/api/v1/workspaces/web/plan',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(response.statusCode).toBe(202);
  });

  it('refreshes from the cookie only with the CSRF header, and logs out clearing the cookies', async () => {
    const bare = await send('POST', '/api/v1/auth/refresh', { origin: ORIGIN });
    expect(bare.json().error.code).toBe('csrf_failed');
    const refreshed = await send('POST', '/api/v1/auth/refresh', { origin: ORIGIN, 'x-csrf-token': csrf });
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.json()).toEqual({ session: 'cookie', expires_in: 900, csrf_token: csrf });
    jar = cookiesOf(refreshed.headers['set-cookie']);
    const logout = await send('POST', '/api/v1/auth/logout', { origin: ORIGIN, 'x-csrf-token': csrf });
    expect(logout.statusCode).toBe(204);
    expect(cookiesOf(logout.headers['set-cookie']).get('tide_access')?.value).toBe('');
    expect((await send('GET', '/api/v1/me')).statusCode).toBe(401);
  });

  it('refuses a cookie login started by a page of another origin (login CSRF)', async () => {
    const response = await f.anonymous({
      method: 'POST',
      url: '/api/v1/auth/login?session=cookie',
      headers: { origin: 'https://evil.example.net' },
      payload: { username: 'alice', password: PASSWORD },
    });
    expect(response.json().error.code).toBe('csrf_failed');
  });
});
