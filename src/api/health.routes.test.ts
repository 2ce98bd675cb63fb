import pino from 'pino';
import { beforeEach, expect, it } from 'vitest';
import { forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { buildApp } from './app.ts';

forEachApiDialect('health routes', (fixture) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });

  it('answers live with 200 whatever readiness says', async () => {
    f.readiness = { ok: false, checks: { database: { ok: false } } };
    const response = await f.app.inject({ url: '/api/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers ready with 200 and the checks when every check passes', async () => {
    f.readiness = {
      ok: true,
      checks: { database: { ok: true }, config: { ok: true, detail: '4 workspaces' } },
    };
    const response = await f.app.inject({ url: '/api/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: f.readiness.checks });
  });

  it('answers ready with 503 not_ready naming the failing check', async () => {
    f.readiness = {
      ok: false,
      checks: { database: { ok: true }, engine: { ok: false, detail: 'tofu not found on PATH' } },
    };
    const response = await f.app.inject({ url: '/api/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      error: {
        code: 'not_ready',
        message: 'not ready: engine (tofu not found on PATH)',
        details: { failing: ['engine'], checks: f.readiness.checks },
      },
    });
  });

  it('answers ready with 503 when the readiness probe itself fails', async () => {
    const app = buildApp({
      db: f.db,
      hub: f.hub,
      clock: f.clock,
      runs: f.runs,
      audit: f.audit,
      secrets: f.secrets,
      templates: f.templates,
      state: { backend: f.state.backend, history: f.state.history },
      auth: f.auth,
      config: () => f.config,
      readiness: () => Promise.reject(new Error('database probe timed out')),
      logger: pino({ level: 'silent' }),
    });
    const response = await app.inject({ url: '/api/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatchObject({
      code: 'not_ready',
      message: 'not ready: readiness (database probe timed out)',
      details: { failing: ['readiness'] },
    });
  });
});
