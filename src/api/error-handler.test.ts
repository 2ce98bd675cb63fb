import pino from 'pino';
import { beforeEach, expect, it } from 'vitest';
import { forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { buildApp } from './app.ts';

forEachApiDialect('API error responses', (fixture) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });

  it('answers an unknown route, or a known path with another method, with 404 not_found', async () => {
    const unknown = await f.app.inject({ url: '/api/v1/nothing?x=1' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({
      error: {
        code: 'not_found',
        message: 'no route GET /api/v1/nothing',
        details: { method: 'GET', path: '/api/v1/nothing' },
      },
    });
    const wrongMethod = await f.app.inject({ method: 'DELETE', url: '/api/v1/workspaces/web' });
    expect(wrongMethod.statusCode).toBe(404);
    expect(wrongMethod.json().error.code).toBe('not_found');
  });

  it('answers an unexpected failure with 500 internal, logging it and keeping its message out of the response', async () => {
    const logged: string[] = [];
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
      config: () => {
        throw new Error('cannot read /secret/path');
      },
      readiness: async () => ({ ok: true, checks: {} }),
      logger: pino({ level: 'error' }, { write: (line: string) => logged.push(line) }),
    });
    const response = await app.inject({
      url: '/api/v1/workspaces',
      headers: { authorization: `Bearer ${await f.adminToken()}` },
    });
    expect(response.statusCode).toBe(500);
    const { error } = response.json();
    expect(error.code).toBe('internal');
    expect(error.message).toMatch(/^internal error \(request .+\); the server log has the details$/);
    expect(response.body).not.toContain('secret');
    expect(logged.join('')).toContain('cannot read /secret/path');
  });

  it('answers a body over 1 MiB with 413 payload_too_large', async () => {
    const response = await f.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces/web/deploy',
      payload: { mode: 'x'.repeat(1024 * 1024) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('payload_too_large');
  });

  it('answers malformed JSON and a non-JSON body with 400 validation_failed', async () => {
    const malformed = await f.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces/web/deploy',
      headers: { 'content-type': 'application/json' },
      payload: '{"mode":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('validation_failed');
    const form = await f.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces/web/deploy',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'mode=large',
    });
    expect(form.statusCode).toBe(400);
    expect(form.json().error).toMatchObject({
      code: 'validation_failed',
      message: 'send the request body as application/json',
    });
  });

  it('answers a body that is not an object with 400 validation_failed', async () => {
    const response = await f.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces/web/deploy',
      payload: [1],
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details.problems).toEqual([
      { path: 'body', message: 'expected object, got array' },
    ]);
  });
});
