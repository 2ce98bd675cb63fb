import { beforeEach, describe, expect, it } from 'vitest';
import { apiFixture, forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { apiCspDirectives } from './security-headers.ts';

const ALLOWED = 'https://console.example.com';
const OTHER = 'https://evil.example.net';

function expectHardened(headers: Record<string, unknown>): void {
  expect(headers['content-security-policy']).toBe(
    "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
  );
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-powered-by']).toBeUndefined();
}

forEachApiDialect('security headers and CORS', (fixture, harness) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });
  const withSecurity = (security: { publicUrl?: string; corsOrigins?: string[] }) =>
    apiFixture(harness.db, f.config, { security }).app;

  describe('security headers', () => {
    it('sets them on successes, errors, unknown routes and validation failures alike', async () => {
      for (const url of [
        '/api/health/live',
        '/api/v1/workspaces/nope',
        '/api/v1/nothing',
        '/api/v1/runs?limit=0',
      ]) {
        const response = await f.app.inject({ url });
        expectHardened(response.headers);
      }
    });

    it('sends Strict-Transport-Security only when the public URL is https', async () => {
      const plain = await f.app.inject({ url: '/api/health/live' });
      expect(plain.headers['strict-transport-security']).toBeUndefined();
      const overHttp = await withSecurity({ publicUrl: 'http://tide.internal:8080' }).inject({
        url: '/api/health/live',
      });
      expect(overHttp.headers['strict-transport-security']).toBeUndefined();
      const overHttps = await withSecurity({ publicUrl: 'https://tide.example.com' }).inject({
        url: '/api/health/live',
      });
      expect(overHttps.headers['strict-transport-security']).toBe('max-age=31536000');
    });

    it('keeps the CSP directives in one exported place for routes that extend them', () => {
      expect(apiCspDirectives.defaultSrc).toEqual(["'none'"]);
    });
  });

  describe('CORS', () => {
    it('sends no CORS headers by default, and refuses every preflight with 403 in the error shape', async () => {
      const simple = await f.app.inject({ url: '/api/health/live', headers: { origin: ALLOWED } });
      expect(simple.statusCode).toBe(200);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await f.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/workspaces',
        headers: { origin: ALLOWED, 'access-control-request-method': 'GET' },
      });
      expect(preflight.statusCode).toBe(403);
      expect(preflight.json().error.code).toBe('origin_not_allowed');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expectHardened(preflight.headers);
    });

    it('lets a listed origin call with credentials and answers its preflight', async () => {
      const app = withSecurity({ corsOrigins: [ALLOWED] });
      const simple = await app.inject({ url: '/api/v1/workspaces', headers: { origin: ALLOWED } });
      expect(simple.headers).toMatchObject({
        'access-control-allow-origin': ALLOWED,
        'access-control-allow-credentials': 'true',
        vary: 'Origin',
      });
      const preflight = await app.inject({
        method: 'OPTIONS',
        url: '/api/v1/workspaces/web/variables',
        headers: {
          origin: ALLOWED,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': ALLOWED,
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-max-age': '600',
      });
      expect(String(preflight.headers['access-control-allow-methods'])).toContain('PUT');
    });

    it('gives an unlisted origin no CORS headers and a 403 preflight, even when others are listed', async () => {
      const app = withSecurity({ corsOrigins: [ALLOWED] });
      // Exact match only: a suffix, another scheme or port, or "null" is another origin.
      for (const origin of [OTHER, 'http://console.example.com', `${ALLOWED}:8443`, 'null']) {
        const simple = await app.inject({ url: '/api/v1/workspaces', headers: { origin } });
        expect(simple.headers['access-control-allow-origin']).toBeUndefined();
        expect(simple.headers['access-control-allow-credentials']).toBeUndefined();
        const preflight = await app.inject({
          method: 'OPTIONS',
          url: '/api/v1/workspaces',
          headers: { origin, 'access-control-request-method': 'POST' },
        });
        expect(preflight.statusCode).toBe(403);
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      }
    });

    it('puts the CORS headers on a streamed (hijacked) log response too', async () => {
      const app = withSecurity({ corsOrigins: [ALLOWED] });
      const fixtureRun = await f.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'manual' });
      const base = await app.listen({ host: '127.0.0.1', port: 0 });
      try {
        const response = await fetch(`${base}/api/v1/runs/${fixtureRun.id}/logs?follow=true`, {
          headers: { origin: ALLOWED },
        });
        expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        await response.body?.cancel();
      } finally {
        await app.close();
      }
    });
  });

  describe('body limit', () => {
    it('answers a 2 MB body with 413 payload_too_large in the error shape, without reading it', async () => {
      const response = await f.app.inject({
        method: 'PUT',
        url: '/api/v1/workspaces/web/variables',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ sensitive: { api_token: 'x'.repeat(2 * 1024 * 1024) } }),
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({
        error: {
          code: 'payload_too_large',
          message: 'the request body is larger than 1 MiB',
          details: { limit_bytes: 1024 * 1024 },
        },
      });
      expectHardened(response.headers);
    });
  });
});
