import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  apiFixture,
  fixtureConfigDir,
  loadEffectiveConfig,
  type ApiFixture,
} from '../../test/helpers/api-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { createMetrics, type TideMetrics } from '../observability/metrics.ts';
import { parseSamples, sampleValue } from '../observability/test-scrape.ts';
import { updateRunState } from '../run/run.repo.ts';

const DURATION_COUNT = 'tide_http_request_duration_seconds_count';

let config: EffectiveConfig;
const configDir = fixtureConfigDir();
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

forEachDialect('GET /metrics and request durations', (harness) => {
  let metrics: TideMetrics;
  let fixture: ApiFixture;

  const scrape = async () => (await fixture.app.inject({ method: 'GET', url: '/metrics' })).body;

  beforeEach(() => {
    metrics = createMetrics();
    fixture = apiFixture(harness.db, config, { metrics });
  });

  it('serves every metric in Prometheus text format without credentials', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toContain('# TYPE tide_runs_total counter');
    expect(response.body).toContain('# TYPE tide_http_request_duration_seconds histogram');
  });

  it('labels request durations with the route template, never the requested path', async () => {
    const web = await fixture.app.inject({ method: 'GET', url: '/api/v1/workspaces/web' });
    await fixture.app.inject({ method: 'GET', url: '/api/v1/workspaces/vault?verbose=1' });
    const text = await scrape();
    const byTemplate = {
      method: 'GET',
      route: '/api/v1/workspaces/:name',
      status_code: String(web.statusCode),
    };
    expect(sampleValue(text, DURATION_COUNT, byTemplate)).toBe(2);
    const routes = parseSamples(text).flatMap((sample) => (sample.labels.route ? [sample.labels.route] : []));
    expect(routes.filter((route) => /web|vault|verbose/.test(route))).toEqual([]);
  });

  it('counts requests that match no route under "unmatched"', async () => {
    const response = await fixture.app.inject({ method: 'GET', url: '/api/v1/no-such-thing/12345' });
    const labels = { method: 'GET', route: 'unmatched', status_code: String(response.statusCode) };
    expect(sampleValue(await scrape(), DURATION_COUNT, labels)).toBe(1);
  });

  it('times a followed log stream once it ends', async () => {
    const run = await fixture.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const now = fixture.clock.now();
    await updateRunState(harness.db, run.id, 'running', now, { lease: { owner: 'test', leaseMs: 60_000 } });
    await updateRunState(harness.db, run.id, 'succeeded', now, { exit_code: 0 });
    const response = await fixture.app.inject({
      method: 'GET',
      url: `/api/v1/runs/${run.id}/logs?follow=true`,
    });
    const labels = { route: '/api/v1/runs/:id/logs', status_code: String(response.statusCode) };
    expect(sampleValue(await scrape(), DURATION_COUNT, labels)).toBe(1);
  });

  it('has no /metrics route when the app is built without a registry', async () => {
    const bare = apiFixture(harness.db, config);
    expect((await bare.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
  });
});
