/**
 * The single sign-on routes without a provider to talk to: what they answer when OIDC is off, when the
 * provider is down, and to a return_to that points elsewhere. The whole flow against a real provider is
 * test/e2e/oidc-login.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeEach, expect, it } from 'vitest';
import { oidcSettings, type OidcSettings } from '../auth/oidc/oidc-settings.ts';
import { apiFixture, forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';

/** An issuer on a port nothing listens on: connections are refused at once, no waiting. */
async function unreachableIssuer(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function settings(): Promise<OidcSettings> {
  return oidcSettings({
    issuer: await unreachableIssuer(),
    clientId: 'tide',
    clientSecret: 'tide-test-client-secret-0000',
    roleMap: [{ value: '*', role: 'viewer' }],
  })!;
}

forEachApiDialect('single sign-on routes', (fixture, harness) => {
  let off: ApiFixture;
  beforeEach(() => {
    off = fixture();
  });

  it('answer 404 not_found on both routes when OIDC is not configured', async () => {
    for (const url of ['/api/v1/auth/oidc/login', '/api/v1/auth/oidc/callback?code=x&state=y']) {
      const response = await off.anonymous({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error).toMatchObject({
        code: 'not_found',
        message: expect.stringMatching(/^OIDC is not configured/),
      });
    }
  });

  it('answer 502 oidc_unavailable when the provider cannot be reached', async () => {
    const f = apiFixture(harness.db, off.config, { oidc: await settings() });
    const response = await f.anonymous({ url: '/api/v1/auth/oidc/login' });
    expect(response.statusCode).toBe(502);
    expect(response.json().error).toMatchObject({
      code: 'oidc_unavailable',
      details: { reason: 'discovery_failed' },
    });
  });

  it('refuse a return_to on another site before contacting the provider', async () => {
    const f = apiFixture(harness.db, off.config, { oidc: await settings() });
    for (const target of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'workspaces']) {
      const response = await f.anonymous({
        url: `/api/v1/auth/oidc/login?return_to=${encodeURIComponent(target)}`,
      });
      expect(response.statusCode, target).toBe(400);
      expect(response.json().error.code, target).toBe('invalid_argument');
    }
  });

  it('refuse a callback from a browser that started no sign-in, uncached, and audit it', async () => {
    const f = apiFixture(harness.db, off.config, { oidc: await settings() });
    const response = await f.anonymous({ url: '/api/v1/auth/oidc/callback?code=abc&state=xyz' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.json().error).toMatchObject({
      code: 'oidc_failed',
      details: { reason: 'state_missing' },
    });
    const audit = await f.app.inject({ url: '/api/v1/audit?action=auth.oidc_login' });
    expect(audit.json().items).toMatchObject([
      { actor: 'anonymous', target: null, result: 'failure', details: { reason: 'state_missing' } },
    ]);
  });
});
