import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, fixtureConfigDir, loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { createLogger } from '../log/logger.ts';

const PASSWORD = 'correct-horse-battery-staple';
const BEARER = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXN1YmplY3Q.c2lnbmF0dXJl';
const REFRESH = 'rt_0f3e9d8c7b6a5948372615';
const COOKIE = 'tide_session=s3ss10n-v4lu3';

/** A logger at `trace` writing into an array, so a test can read exactly what would reach stdout. */
function capturingLogger() {
  const output: string[] = [];
  return { output, logger: createLogger('trace', { write: (line: string) => void output.push(line) }) };
}

describe('log redaction', () => {
  it('censors a login body and the tokens a login answers with', () => {
    const { output, logger } = capturingLogger();
    logger.info({ body: { username: 'alice', password: PASSWORD } }, 'login attempt');
    logger.info({ body: { access_token: BEARER, refresh_token: REFRESH, token_type: 'Bearer' } }, 'login');
    logger.info({ password: PASSWORD, token: REFRESH }, 'top level');
    const text = output.join('');
    for (const secret of [PASSWORD, BEARER, REFRESH]) expect(text).not.toContain(secret);
    expect(JSON.parse(output[0]!)).toMatchObject({ body: { username: 'alice', password: '[REDACTED]' } });
  });

  it('censors the Authorization and Cookie headers of a logged request', () => {
    const { output, logger } = capturingLogger();
    logger.info({ req: { method: 'GET', headers: { authorization: `Bearer ${BEARER}`, cookie: COOKIE } } });
    logger.child({ request_id: 'r1' }).warn({ headers: { authorization: `Bearer ${BEARER}` } }, 'denied');
    const text = output.join('');
    expect(text).not.toContain(BEARER);
    expect(text).not.toContain(COOKIE);
    expect(JSON.parse(output[0]!)).toMatchObject({
      req: { method: 'GET', headers: { authorization: '[REDACTED]' } },
    });
  });
});

let config: EffectiveConfig;
const configDir = fixtureConfigDir();
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

forEachDialect('log redaction on the API', (harness) => {
  it('never writes a login request body or its Authorization header to the log', async () => {
    const { output, logger } = capturingLogger();
    const { app } = apiFixture(harness.db, config, { logger });
    for (const url of ['/api/v1/auth/login', '/api/v1/workspaces/web/deploy']) {
      await app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${BEARER}`, cookie: COOKIE },
        payload: { username: 'alice', password: PASSWORD },
      });
    }
    expect(output.length).toBeGreaterThan(0);
    const text = output.join('');
    for (const secret of [PASSWORD, BEARER, COOKIE]) expect(text).not.toContain(secret);
  });
});
