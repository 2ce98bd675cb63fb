/**
 * Single sign-on end to end: Tide's API and a real OpenID provider (oidc-provider) both listen on
 * 127.0.0.1, and a small browser (cookie jar, manual redirects) walks the whole flow — Tide's login
 * redirect, the provider's login and consent pages, the callback, the session cookies, `/me`.
 */
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ATTEMPT_COOKIE } from '../../src/http/oidc-attempt-cookie.ts';
import { oidcSettings, type OidcSettings } from '../../src/auth/oidc/oidc-settings.ts';
import { parseRoleMap, type RoleMap } from '../../src/auth/oidc/role-map.ts';
import { ACCESS_COOKIE, CSRF_COOKIE } from '../../src/http/session-cookies.ts';
import { getUserByName, updateUser } from '../../src/auth/user.repo.ts';
import { verifyPassword } from '../../src/auth/password-hash.ts';
import {
  apiFixture,
  fixtureConfigDir,
  loadEffectiveConfig,
  type ApiFixture,
} from '../helpers/api-fixture.ts';
import { createTestAccessToken, createTestUser, FIXTURE_ADMIN } from '../helpers/auth-fixture.ts';
import { forEachDialect } from '../helpers/databases.ts';
import {
  startTestProvider,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  type TestProvider,
} from '../helpers/oidc-provider.ts';
import { TestBrowser, type Hop } from '../helpers/test-browser.ts';

const ROLE_MAP: RoleMap = (() => {
  const parsed = parseRoleMap('tide-admins=admin,tide-ops=operator,staff=viewer');
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.map;
})();

const CALLBACK_PATH = '/api/v1/auth/oidc/callback';

interface ApiError {
  readonly code: string;
  readonly message: string;
  readonly details?: { readonly reason?: string };
}

async function errorOf(response: Response): Promise<ApiError> {
  return ((await response.json()) as { error: ApiError }).error;
}

forEachDialect('single sign-on through a real OpenID provider', (harness) => {
  let provider: TestProvider;
  let tide: ApiFixture;
  let tideUrl: string;
  const configDir = fixtureConfigDir();

  beforeAll(async () => {
    provider = await startTestProvider();
    const settings: OidcSettings = oidcSettings({
      issuer: provider.issuer,
      clientId: TEST_CLIENT_ID,
      clientSecret: TEST_CLIENT_SECRET,
      scopes: ['openid', 'profile', 'email', 'groups'],
      roleMap: ROLE_MAP,
    })!;
    tide = apiFixture(harness.db, await loadEffectiveConfig(configDir.dir), {
      oidc: settings,
      logger: pino({ level: 'silent' }),
    });
    tideUrl = await tide.app.listen({ host: '127.0.0.1', port: 0 });
    // No TIDE_PUBLIC_URL: Tide derives the redirect URI from the Host it is reached at.
    await provider.register(`${tideUrl}${CALLBACK_PATH}`);
    provider.accounts.set('alice', {
      preferred_username: 'alice',
      email: 'alice@example.com',
      groups: ['tide-admins', 'staff'],
    });
    provider.accounts.set('bob', { preferred_username: 'Bob', email: 'bob@example.com', groups: ['staff'] });
    provider.accounts.set('carol', { email: 'carol@example.com', groups: ['tide-ops'] });
    provider.accounts.set('dave', { preferred_username: 'dave', groups: ['contractors'] });
    provider.accounts.set('mallory', { preferred_username: 'admin', groups: ['tide-admins'] });
  });

  afterAll(async () => {
    await tide.app.close();
    await provider.close();
    configDir.cleanup();
  });

  const isCallback = (url: URL) => url.pathname === CALLBACK_PATH;

  /** From Tide's login to the provider's redirect back to Tide (not yet followed). */
  async function throughProvider(browser: TestBrowser, login: string, query = ''): Promise<string> {
    const start = await browser.request(`${tideUrl}/api/v1/auth/oidc/login${query}`);
    expect(start.status).toBe(302);
    let hop: Hop = await browser.follow(start.headers.get('location')!, {}, isCallback);
    for (let pages = 0; !isCallback(new URL(hop.url)); pages++) {
      if (pages > 4) throw new Error(`stuck at ${hop.url}: ${await hop.response.text()}`);
      expect(hop.response.status, hop.url).toBe(200);
      const page = await hop.response.text();
      const consent = page.includes('name="prompt" value="consent"');
      const fields: Record<string, string> = consent
        ? { prompt: 'consent' }
        : { prompt: 'login', login, password: 'any password: the development login checks none' };
      hop = await browser.submit(hop.url, fields, isCallback);
    }
    return hop.url;
  }

  async function signIn(login: string, query = ''): Promise<{ browser: TestBrowser; callback: Response }> {
    const browser = new TestBrowser();
    const callbackUrl = await throughProvider(browser, login, query);
    return { browser, callback: await browser.request(callbackUrl) };
  }

  async function me(browser: TestBrowser) {
    const response = await browser.request(`${tideUrl}/api/v1/me`);
    return { status: response.status, body: await response.json() };
  }

  /** Newest first. Through the API with a fresh admin: each test starts with empty tables. */
  async function audit(action: string) {
    const token = await createTestAccessToken(harness.db, tide.auth, FIXTURE_ADMIN);
    const response = await tide.app.inject({
      url: `/api/v1/audit?action=${action}`,
      headers: { authorization: `Bearer ${token}` },
    });
    return response.json().items as Array<{
      actor: string;
      target: string | null;
      result: string;
      details: Record<string, unknown>;
    }>;
  }

  it('signs a browser in with a session, as the user the claims name, with the role its groups map to', async () => {
    const { browser, callback } = await signIn('alice');
    expect(callback.status).toBe(302);
    expect(callback.headers.get('location')).toBe('/');
    expect(browser.cookie(ACCESS_COOKIE)).toBeDefined();
    expect(browser.cookie(CSRF_COOKIE)).toBeDefined();
    expect(browser.cookie(ATTEMPT_COOKIE)).toBeUndefined();
    expect(await me(browser)).toEqual({
      status: 200,
      body: { username: 'alice', role: 'admin', workspaces: null, kind: 'user', token: null, via: 'cookie' },
    });
    expect(await audit('auth.oidc_login')).toMatchObject([
      {
        actor: 'alice',
        target: 'user:alice',
        result: 'success',
        details: { subject: 'alice', role: 'admin', created: true },
      },
    ]);
    expect(await audit('user.create')).toMatchObject([
      { actor: 'alice', details: { via: 'oidc', role: 'admin' } },
    ]);
  });

  it('asks for the code flow with PKCE (S256), state and nonce, keeping them in a short-lived Lax cookie', async () => {
    const browser = new TestBrowser();
    const start = await browser.request(`${tideUrl}/api/v1/auth/oidc/login`);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).toBe(provider.issuer);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: TEST_CLIENT_ID,
      response_type: 'code',
      redirect_uri: `${tideUrl}${CALLBACK_PATH}`,
      scope: 'openid profile email groups',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.stringMatching(/^[\w-]{20,}$/),
      nonce: expect.stringMatching(/^[\w-]{20,}$/),
    });
    const cookie = start.headers.getSetCookie().find((line) => line.startsWith(`${ATTEMPT_COOKIE}=`))!;
    expect(cookie).toMatch(/; Max-Age=600(;|$)/);
    expect(cookie).toMatch(/; Path=\/api\/v1\/auth\/oidc(;|$)/);
    expect(cookie).toMatch(/; HttpOnly(;|$)/);
    expect(cookie).toMatch(/; SameSite=Lax(;|$)/);
    // Sealed: neither the verifier nor the nonce can be read from the cookie.
    expect(cookie).not.toContain(authorize.searchParams.get('nonce'));
  });

  it('refuses a sign-in finished more than 10 minutes after it started', async () => {
    const browser = new TestBrowser();
    const callbackUrl = await throughProvider(browser, 'alice');
    tide.clock.advance(10 * 60_000 + 1000);
    const response = await browser.request(callbackUrl);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).details?.reason).toBe('state_expired');
  });

  it('gives the lowest role when the groups match only a viewer entry, lower-casing the username', async () => {
    const { browser } = await signIn('bob');
    expect((await me(browser)).body).toMatchObject({ username: 'bob', role: 'viewer' });
  });

  it('names the user by email when the provider sends no preferred_username', async () => {
    const { browser } = await signIn('carol');
    expect((await me(browser)).body).toMatchObject({ username: 'carol@example.com', role: 'operator' });
  });

  it('lets the cookie session act: a CSRF-protected mutation from the same origin works', async () => {
    const { browser } = await signIn('alice');
    const response = await browser.request(`${tideUrl}/api/v1/auth/logout`, {
      method: 'POST',
      headers: {
        origin: tideUrl,
        'x-csrf-token': browser.cookie(CSRF_COOKIE)!,
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(response.status).toBe(204);
    expect((await me(browser)).status).toBe(401);
  });

  it('refuses with 403 a person whose groups match no entry, creating no user, and audits it', async () => {
    const { callback } = await signIn('dave');
    expect(callback.status).toBe(403);
    expect((await errorOf(callback)).code).toBe('forbidden');
    expect(await getUserByName(harness.db, 'dave')).toBeNull();
    expect(await audit('auth.oidc_login')).toMatchObject([
      { actor: 'anonymous', result: 'failure', details: { reason: 'no_role', subject: 'dave' } },
    ]);
  });

  it('does not hand a local password user to a provider account of the same name (409, audited)', async () => {
    await createTestUser(harness.db, {
      username: 'admin',
      role: 'admin',
      password: 'correct horse battery staple',
    });
    const { browser, callback } = await signIn('mallory');
    expect(callback.status).toBe(409);
    expect((await errorOf(callback)).code).toBe('conflict');
    expect(browser.cookie(ACCESS_COOKIE)).toBeUndefined();
    const admin = (await getUserByName(harness.db, 'admin'))!;
    expect(await verifyPassword(admin.passwordHash, 'correct horse battery staple')).toBe(true);
    expect(await audit('auth.oidc_login')).toMatchObject([
      { target: 'user:admin', result: 'failure', details: { reason: 'username_taken', subject: 'mallory' } },
    ]);
  });

  it('keeps finding the linked user by subject and updates the role from the claims at each sign-in', async () => {
    await signIn('alice');
    provider.accounts.set('alice', { preferred_username: 'alice-renamed', groups: ['staff'] });
    try {
      const { browser } = await signIn('alice');
      expect((await me(browser)).body).toMatchObject({ username: 'alice', role: 'viewer' });
      expect(await audit('user.update')).toMatchObject([
        { actor: 'alice', details: { role: 'viewer', previous_role: 'admin', via: 'oidc' } },
      ]);
    } finally {
      provider.accounts.set('alice', {
        preferred_username: 'alice',
        email: 'alice@example.com',
        groups: ['tide-admins', 'staff'],
      });
    }
  });

  it('refuses a linked user an admin disabled', async () => {
    await signIn('bob');
    const bob = (await getUserByName(harness.db, 'bob'))!;
    await updateUser(harness.db, bob.id, { disabled: true });
    const { callback } = await signIn('bob');
    expect(callback.status).toBe(403);
    expect((await audit('auth.oidc_login'))[0]).toMatchObject({
      result: 'failure',
      details: { reason: 'disabled' },
    });
  });

  it('refuses a callback whose state is not the one this browser started (400, audited)', async () => {
    const browser = new TestBrowser();
    const callbackUrl = new URL(await throughProvider(browser, 'alice'));
    callbackUrl.searchParams.set('state', 'forged-state');
    const response = await browser.request(callbackUrl.href);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({
      code: 'oidc_failed',
      details: { reason: 'state_mismatch' },
    });
    expect(browser.cookie(ACCESS_COOKIE)).toBeUndefined();
    // The attempt is over whatever the outcome: the right state cannot be tried next.
    expect(browser.cookie(ATTEMPT_COOKIE)).toBeUndefined();
    expect(await audit('auth.oidc_login')).toMatchObject([
      { result: 'failure', details: { reason: 'state_mismatch' } },
    ]);
  });

  it('refuses a callback without state, and one carried into another browser (login CSRF)', async () => {
    const browser = new TestBrowser();
    const callbackUrl = new URL(await throughProvider(browser, 'alice'));
    const withoutState = new URL(callbackUrl);
    withoutState.searchParams.delete('state');
    const missing = await browser.request(withoutState.href);
    expect(missing.status).toBe(400);
    // The first attempt cleared the cookie; a victim's browser never had one.
    const victim = new TestBrowser();
    const carried = await victim.request(callbackUrl.href);
    expect(carried.status).toBe(400);
    expect((await errorOf(carried)).details?.reason).toBe('state_missing');
    expect(victim.cookie(ACCESS_COOKIE)).toBeUndefined();
    expect((await audit('auth.oidc_login')).map((entry) => entry.details.reason)).toEqual([
      'state_missing',
      'state_mismatch',
    ]);
  });

  it('returns to the page the sign-in started from', async () => {
    const { callback } = await signIn('alice', '?return_to=%2Fworkspaces%2Fweb%3Ftab%3Druns');
    expect(callback.headers.get('location')).toBe('/workspaces/web?tab=runs');
  });

  it('reports a sign-in the person cancelled at the provider (400 provider_error, audited)', async () => {
    const browser = new TestBrowser();
    const start = await browser.request(`${tideUrl}/api/v1/auth/oidc/login`);
    const loginPage = await browser.follow(start.headers.get('location')!);
    expect(loginPage.response.status).toBe(200);
    const back = await browser.follow(`${loginPage.url}/abort`, {}, isCallback);
    const response = await browser.request(back.url);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({
      code: 'oidc_failed',
      details: { reason: 'provider_error', provider_error: 'access_denied' },
    });
    expect(await audit('auth.oidc_login')).toMatchObject([
      { result: 'failure', details: { reason: 'provider_error' } },
    ]);
  });
});
