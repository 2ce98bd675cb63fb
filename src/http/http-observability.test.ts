import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  apiFixture,
  fixtureConfigDir,
  loadEffectiveConfig,
  type ApiFixture,
} from '../../test/helpers/api-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { createLogger } from '../log/logger.ts';
import { updateRunState } from '../run/run.repo.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let config: EffectiveConfig;
const configDir = fixtureConfigDir();
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

forEachDialect('request ids', (harness) => {
  let fixture: ApiFixture;
  let lines: Record<string, unknown>[];

  beforeEach(() => {
    lines = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    fixture = apiFixture(harness.db, config, { logger });
  });

  const get = (url: string, requestId?: string) =>
    fixture.app.inject({
      method: 'GET',
      url,
      headers: requestId === undefined ? {} : { 'x-request-id': requestId },
    });

  it('echoes a valid X-Request-Id and logs every line of the request with it', async () => {
    const response = await get('/api/health/live', 'trace.4bf92f3577b34da6-a3ce929d0e0e4736_01');
    expect(response.headers['x-request-id']).toBe('trace.4bf92f3577b34da6-a3ce929d0e0e4736_01');
    const logged = lines.filter((line) => line.request_id === 'trace.4bf92f3577b34da6-a3ce929d0e0e4736_01');
    expect(logged.map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
  });

  it('generates a request id when none is sent', async () => {
    const response = await get('/api/health/live');
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(lines.every((line) => line.request_id === response.headers['x-request-id'])).toBe(true);
  });

  it('replaces an X-Request-Id that is too long or holds other characters', async () => {
    for (const invalid of ['x'.repeat(129), 'has space', 'new\nline', 'semi;colon', '']) {
      const response = await get('/api/health/live', invalid);
      expect(response.headers['x-request-id'], JSON.stringify(invalid)).toMatch(UUID);
    }
    expect((await get('/api/health/live', 'y'.repeat(128))).headers['x-request-id']).toBe('y'.repeat(128));
  });

  it('returns the request id on errors and unmatched routes', async () => {
    const missing = await get('/api/v1/runs/does-not-exist', 'req-missing-run');
    expect(missing.statusCode).toBeGreaterThanOrEqual(400);
    expect(missing.headers['x-request-id']).toBe('req-missing-run');
    expect((await get('/nowhere', 'req-nowhere')).headers['x-request-id']).toBe('req-nowhere');
  });

  it('returns the request id on a followed log stream, whose head the route writes itself', async () => {
    const run = await fixture.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const now = fixture.clock.now();
    await updateRunState(harness.db, run.id, 'running', now, { lease: { owner: 'test', leaseMs: 60_000 } });
    await updateRunState(harness.db, run.id, 'succeeded', now, { exit_code: 0 });
    const response = await get(`/api/v1/runs/${run.id}/logs?follow=true`, 'req-follow');
    expect(response.headers['x-request-id']).toBe('req-follow');
  });
});
