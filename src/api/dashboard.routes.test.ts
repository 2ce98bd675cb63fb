import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiFixture, forEachApiDialect } from '../../test/helpers/api-fixture.ts';
import { tideVersion } from '../version/version.ts';
import { DASHBOARD_CSP, resolveAsset } from './dashboard.routes.ts';

const built = mkdtempSync(path.join(tmpdir(), 'tide-dashboard-'));
const empty = mkdtempSync(path.join(tmpdir(), 'tide-dashboard-empty-'));
mkdirSync(path.join(built, 'assets'));
writeFileSync(path.join(built, 'index.html'), '<!doctype html><title>Tide</title>');
writeFileSync(path.join(built, 'assets', 'index-abc123.js'), 'console.log(1)');
writeFileSync(path.join(built, 'favicon.svg'), '<svg/>');
// Beside the assets directory, where a traversal would reach.
writeFileSync(
  path.join(path.dirname(built), `${path.basename(built)}-secret.txt`),
  'content outside the root',
);
afterAll(() => {
  rmSync(built, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
  rmSync(`${built}-secret.txt`, { force: true });
});

describe('resolveAsset', () => {
  it('keeps every path inside the assets directory, whatever its dots and encodings', () => {
    expect(resolveAsset('/srv/web', '/')).toBe('/srv/web/index.html');
    expect(resolveAsset('/srv/web', '/assets/a.js')).toBe('/srv/web/assets/a.js');
    // `..` is normalized against the root, never above it.
    expect(resolveAsset('/srv/web', '/../../etc/passwd')).toBe('/srv/web/etc/passwd');
    expect(resolveAsset('/srv/web', '/%2e%2e/%2e%2e/etc/passwd')).toBe('/srv/web/etc/passwd');
    expect(resolveAsset('/srv/web', '/..%5c..%5cetc')).toBeNull();
    expect(resolveAsset('/srv/web', '/a%00.js')).toBeNull();
    expect(resolveAsset('/srv/web', '/%E0%A4%A')).toBeNull();
  });
});

forEachApiDialect('the dashboard', (fixture, harness) => {
  const app = (assetsDir: string) =>
    apiFixture(harness.db, fixture().config, { dashboardDir: assetsDir }).app;

  it('serves index.html at / and for client routes, revalidated, with the page CSP', async () => {
    for (const url of ['/', '/workspaces/web', '/runs?state=running']) {
      const response = await app(built).inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.headers['content-security-policy']).toBe(DASHBOARD_CSP);
      expect(response.body).toContain('<title>Tide</title>');
    }
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
  });

  it('caches hashed assets for a year and other files not at all', async () => {
    const script = await app(built).inject({ url: '/assets/index-abc123.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(script.body).toBe('console.log(1)');
    const icon = await app(built).inject({ url: '/favicon.svg' });
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers a missing file with a 404 instead of the page', async () => {
    const response = await app(built).inject({ url: '/assets/gone-123.js' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });

  it('refuses to serve files outside its directory', async () => {
    const name = `${path.basename(built)}-secret.txt`;
    for (const url of [`/../${name}`, `/%2e%2e/${name}`, `/assets/..%2f..%2f${name}`, '/..%5c..%5cx.txt']) {
      const response = await app(built).inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain('content outside the root');
    }
  });

  it('never shadows the API or /metrics: unknown paths there stay JSON 404s with the API CSP', async () => {
    for (const url of ['/api/v1/nothing', '/api', '/api/v2/workspaces', '/metrics/x']) {
      const response = await app(built).inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error).toEqual({
        code: 'not_found',
        message: `no route GET ${url}`,
        details: { method: 'GET', path: url },
      });
      expect(response.headers['content-security-policy']).toContain("default-src 'none'");
    }
  });

  it('says how to build it when the app is not built', async () => {
    const response = await app(empty).inject({ url: '/' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('npm run build');
  });

  it('tells the page the version, public URL and whether SSO is on, without credentials', async () => {
    const response = await apiFixture(harness.db, fixture().config, {
      security: { publicUrl: 'https://tide.example.com' },
    }).app.inject({ url: '/api/v1/ui-config' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      version: tideVersion,
      public_url: 'https://tide.example.com',
      oidc_enabled: false,
    });
    const bare = await app(built).inject({ url: '/api/v1/ui-config' });
    expect(bare.json()).toMatchObject({ public_url: null, oidc_enabled: false });
  });
});
