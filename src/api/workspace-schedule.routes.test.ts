/**
 * `GET /api/v1/workspaces/{name}/schedule` under load: its bounds, its rate limit, and the event loop
 * staying free while the most expensive preview it allows (90 days of a workspace that flips every
 * minute) is computed.
 */
import { Agent, get } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { createTestAccessToken } from '../../test/helpers/auth-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { EXPENSIVE_READ_RATE_LIMIT } from '../http/rate-limit.plugin.ts';
import { DatabaseRateLimiter } from '../http/rate-limiter.ts';
import { MAX_PREVIEW_DAYS } from '../schedule/preview.ts';

/** A plain GET over a real socket; `agent: false` opens a connection of its own. */
function httpGet(
  url: string,
  options: { agent?: Agent; token?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = options.token ? { authorization: `Bearer ${options.token}` } : {};
    const request = get(url, { agent: options.agent ?? false, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
  });
}

forEachDialect('workspace schedule route', (harness) => {
  // blink is examples/workspaces/blink: up on even minutes, down on odd ones. office: a cheap preview.
  const configDir = makeConfigDir({
    ...workspaceFiles('blink', {
      enabled: true,
      deploy_schedule: '*/2 * * * *',
      destroy_schedule: '1-59/2 * * * *',
    }),
    ...workspaceFiles('office', { enabled: true, deploy_schedule: '0 8 * * 1-5' }),
  });
  let config: EffectiveConfig;
  beforeAll(async () => {
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());

  describe('bounds', () => {
    let f: ApiFixture;
    beforeEach(() => {
      f = apiFixture(harness.db, config);
    });

    it.each([
      ['days=91', 'query.days', 'want a whole number from 1 to 90, got "91"'],
      ['days=366', 'query.days', 'want a whole number from 1 to 90, got "366"'],
      ['days=0', 'query.days', 'want a whole number from 1 to 90, got "0"'],
      ['days=1.5', 'query.days', 'want a whole number from 1 to 90, got "1.5"'],
      [
        'from=3000-01-01T00:00:00Z',
        'query.from',
        'want an instant from 1970-01-01T00:00:00.000Z to 2998-12-01T00:00:00.000Z, got 3000-01-01T00:00:00.000Z',
      ],
    ])('refuses %s with a 400 naming the parameter and its bound', async (query, path, message) => {
      const response = await f.app.inject({ url: `/api/v1/workspaces/blink/schedule?${query}` });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toEqual({
        code: 'validation_failed',
        message: `invalid request query: ${path}: ${message}`,
        details: { problems: [{ path, message }] },
      });
    });

    it(`answers the longest preview (${MAX_PREVIEW_DAYS} days) with capped, flagged lists`, async () => {
      const response = await f.app.inject({
        url: `/api/v1/workspaces/blink/schedule?days=${MAX_PREVIEW_DAYS}&from=2027-03-15T00:00:00Z`,
      });
      expect(response.statusCode).toBe(200);
      const preview = response.json();
      expect(preview).toMatchObject({
        until: '2027-06-13T00:00:00.000Z',
        firings_truncated: true,
        timeline_truncated: true,
      });
      expect([preview.firings.length, preview.timeline.length]).toEqual([1000, 1000]);
    });
  });

  it('answers health checks while the most expensive preview it allows is being computed', async () => {
    const f = apiFixture(harness.db, config);
    const token = await f.adminToken();
    const schedulePath = '/api/v1/workspaces/:name/schedule';
    let previewStarted!: () => void;
    const started = new Promise<void>((resolve) => (previewStarted = resolve));
    f.app.addHook('preHandler', async (request) => {
      if (request.routeOptions.url === schedulePath) previewStarted();
    });
    // The order in which the server finished computing its answers (not the order clients read them).
    const answered: string[] = [];
    f.app.addHook('onSend', async (request) => {
      answered.push(request.routeOptions.url ?? '');
    });
    const base = await f.app.listen({ host: '127.0.0.1', port: 0 });
    // One kept-alive connection, open before the preview starts: the health check needs no handshake.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await httpGet(`${base}/api/health/live`, { agent })).status).toBe(200);
      const preview = httpGet(`${base}/api/v1/workspaces/blink/schedule?days=${MAX_PREVIEW_DAYS}`, { token });
      await started;
      const health = await httpGet(`${base}/api/health/live`, { agent });
      const answer = await preview;

      expect(health.status).toBe(200);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ firings_truncated: true, timeline_truncated: true });
      expect(answered).toEqual(['/api/health/live', '/api/health/live', schedulePath]);
    } finally {
      agent.destroy();
      await f.app.close();
    }
  });

  it('limits previews per principal, leaving other principals and cheap reads alone', async () => {
    const f = apiFixture(harness.db, config, { rateLimiter: new DatabaseRateLimiter(harness.db) });
    const preview = (token?: string) =>
      f.app.inject({
        url: '/api/v1/workspaces/office/schedule?days=1',
        ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
    for (let i = 0; i < EXPENSIVE_READ_RATE_LIMIT.limit; i++) expect((await preview()).statusCode).toBe(200);

    const refused = await preview();
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toMatchObject({
      code: 'rate_limited',
      details: { limit: 60, window_ms: 60_000 },
    });
    expect(refused.headers['retry-after']).toBe('60');
    expect((await f.app.inject({ url: '/api/v1/workspaces/office' })).statusCode).toBe(200);
    const viewer = await createTestAccessToken(harness.db, f.auth, { username: 'viewer', role: 'viewer' });
    expect((await preview(viewer)).statusCode).toBe(200);
  });
});
