/**
 * SPEC §7: every route declares its permission, and only the few meant to be public answer anonymous
 * callers. The routes are collected as Fastify adds them, so a route added anywhere is covered.
 */
import type { InjectOptions } from 'fastify';
import { beforeEach, expect, it } from 'vitest';
import { createMetrics } from '../src/observability/metrics.ts';
import { apiFixture, forEachApiDialect, type ApiFixture } from './helpers/api-fixture.ts';

/** The routes that answer without credentials; anything else public is a mistake until added here. */
const PUBLIC_ROUTES = [
  'GET /api/health/live',
  'GET /api/health/ready',
  'GET /metrics',
  'GET /api/v1/openapi.json',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'GET /api/v1/auth/oidc/login',
  'GET /api/v1/auth/oidc/callback',
  // The dashboard's page and assets, and what it needs to know before login (docs/dashboard.md).
  'GET /api/v1/ui-config',
  'GET /*',
];

/** A plausible value for each path parameter, so the request reaches the route rather than a 404. */
const SAMPLE_PARAMS: Record<string, string> = {
  name: 'web',
  id: '00000000-0000-4000-8000-000000000000',
  username: 'fixture-admin',
};

interface CollectedRoute {
  readonly method: string;
  readonly url: string;
  readonly permission: unknown;
  readonly workspaceParam: unknown;
}

forEachApiDialect('route permissions', (fixture, harness) => {
  let f: ApiFixture;
  let routes: CollectedRoute[];
  beforeEach(async () => {
    f = apiFixture(harness.db, fixture().config, { metrics: createMetrics() });
    routes = [];
    f.app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method === 'HEAD' || method === 'OPTIONS') continue;
        const config = route.config as { permission?: unknown; workspaceParam?: unknown } | undefined;
        routes.push({
          method,
          url: route.url,
          permission: config?.permission,
          workspaceParam: config?.workspaceParam,
        });
      }
    });
    await f.app.ready();
  });

  it('collects the routes of every plugin', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.map((route) => `${route.method} ${route.url}`)).toContain(
      'POST /api/v1/workspaces/:name/deploy',
    );
  });

  it('finds no route without a declared permission', () => {
    const undeclared = routes
      .filter((route) => route.permission === undefined)
      .map((r) => `${r.method} ${r.url}`);
    expect(undeclared).toEqual([]);
  });

  it('makes only health, metrics, the API description, login, refresh and single sign-on public', () => {
    const open = routes.filter((route) => route.permission === 'public').map((r) => `${r.method} ${r.url}`);
    expect(open.sort()).toEqual([...PUBLIC_ROUTES].sort());
  });

  it('checks the workspace patterns on every route with a workspace in its path', () => {
    const unscoped = routes
      .filter((route) => route.url.includes('/workspaces/:name') && route.workspaceParam !== 'name')
      .map((r) => `${r.method} ${r.url}`);
    expect(unscoped).toEqual([]);
  });

  it('refuses anonymous callers on every other route with 401 unauthenticated', async () => {
    const guarded = routes.filter((route) => route.permission !== 'public');
    for (const route of guarded) {
      const url = route.url.replace(/:(\w+)/g, (_, param: string) => SAMPLE_PARAMS[param] ?? 'x');
      const response = await f.anonymous({
        method: route.method as NonNullable<InjectOptions['method']>,
        url,
        payload: route.method === 'GET' ? undefined : {},
      });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
      expect(response.json().error.code, `${route.method} ${route.url}`).toBe('unauthenticated');
    }
  });
});
