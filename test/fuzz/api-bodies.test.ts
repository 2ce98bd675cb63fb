/**
 * Random request bodies against every POST and PUT route the app registers (found by an onRoute hook, so
 * a new route is fuzzed without touching this file): arbitrary JSON, wrong types, unknown fields, huge
 * and unicode strings, `__proto__` / `constructor` keys, text that is not JSON. The API must never
 * answer 5xx, must answer every 4xx in the error shape, and must not write a run or a secret when it
 * rejects a request. Deterministic (fixed seeds) and bounded (a few hundred requests per dialect).
 */
import type { InjectOptions } from 'fastify';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiFixture, loadEffectiveConfig, type ApiFixture } from '../helpers/api-fixture.ts';
import { createTestAccessToken, FIXTURE_ADMIN } from '../helpers/auth-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../helpers/config-dir.ts';
import { forEachDialect, type DialectHarness } from '../helpers/databases.ts';
import type { EffectiveConfig } from '../../src/config/effective-config.ts';

/** Mostly the declared names (so some requests succeed), sometimes names that must be refused. */
const variableName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('api_token', 'db_password') },
  fc.constantFrom('region', '__proto__', 'constructor', 'bad name', ''),
);

const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom(
    'abcd',
    'x'.repeat(70_000),
    '\u0000\u0000\u0000\u0000',
    '../../etc/passwd',
    "'; DROP TABLE runs;--",
  ),
);

/** Mostly values the API accepts, sometimes ones it must refuse (short, NUL, huge, not a string). */
const sensitiveValue = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 4, maxLength: 40 }) },
  fc.constant(null),
  text,
  fc.jsonValue(),
);

/** Bodies shaped like the ones routes expect, mostly valid, often slightly wrong. */
const nearValid = fc.oneof(
  fc.record({
    sensitive: fc.dictionary(variableName, sensitiveValue, { maxKeys: 3 }),
  }),
  fc.record(
    { mode: fc.oneof(fc.constantFrom('small', 'large', 'ghost'), text, fc.jsonValue()) },
    { requiredKeys: [] },
  ),
  fc.record(
    { username: text, password: text, role: fc.constantFrom('admin', 'viewer', 'root'), name: text },
    { requiredKeys: [] },
  ),
  fc.constant({}),
);

const jsonPayload = fc
  .oneof(
    { weight: 5, arbitrary: nearValid },
    fc.jsonValue({ maxDepth: 3 }),
    fc.object({ maxDepth: 2 }),
    fc
      .tuple(nearValid, fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue())
      .map(([body, key, value]) => ({
        ...body,
        [key]: value,
      })),
  )
  .map((body) => JSON.stringify(body) ?? 'null');

/** Written by hand: JSON.stringify of an object literal never produces an own `__proto__` key. */
const pollutingPayload = fc.constantFrom(
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"sensitive":{"__proto__":"abcdefgh"}}',
  '{"sensitive":{"__proto__":{"polluted":true}}}',
  '{"sensitive":{"constructor":{"prototype":{"polluted":true}}}}',
  '{"mode":"small","__proto__":null}',
);

const request = fc.record({
  payload: fc.oneof({ weight: 6, arbitrary: jsonPayload }, pollutingPayload, fc.string({ maxLength: 40 })),
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'application/json',
    'text/plain',
    undefined,
  ),
  workspace: fc.constantFrom('app', 'app', 'plain', 'ghost', 'Bad%20Name'),
  routeIndex: fc.nat(),
});

/** PUT variables bodies mixing valid and invalid entries: all must apply, or none. */
const variablesRequest = fc
  .oneof(
    {
      weight: 4,
      arbitrary: fc.record({ sensitive: fc.dictionary(variableName, sensitiveValue, { maxKeys: 3 }) }),
    },
    nearValid,
    fc.jsonValue({ maxDepth: 2 }),
  )
  .map((body) => JSON.stringify(body) ?? 'null');

interface Route {
  readonly method: string;
  readonly url: string;
}

interface Sent {
  readonly status: number;
  readonly body: string;
  /** For assertion messages: the request and the start of the answer. */
  readonly where: string;
}

describe('API under random bodies', () => {
  const configDir = makeConfigDir({
    ...workspaceFiles('app', {
      enabled: true,
      modes: { small: {} },
      sensitive_variables: ['api_token', 'db_password'],
    }),
    ...workspaceFiles('plain', { enabled: true }),
  });
  let config: EffectiveConfig;
  beforeAll(async () => {
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());

  forEachDialect('API under random bodies', (harness) => {
    let fixture: ApiFixture;
    let routes: Route[];
    beforeEach(async () => {
      fixture = apiFixture(harness.db, config);
      const found: Route[] = [];
      fixture.app.addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) {
          if ((method === 'POST' || method === 'PUT') && route.url.startsWith('/api/'))
            found.push({ method, url: route.url });
        }
      });
      await fixture.app.ready();
      routes = found;
    });
    afterEach(() => fixture.app.close());

    async function send(route: Route, url: string, payload: string, contentType?: string): Promise<Sent> {
      const response = await fixture.app.inject({
        method: route.method as NonNullable<InjectOptions['method']>,
        url,
        payload,
        headers: {
          // An admin session of its own per request: a fuzzed logout must not end the next request's.
          authorization: `Bearer ${await createTestAccessToken(harness.db, fixture.auth, FIXTURE_ADMIN)}`,
          ...(contentType === undefined ? {} : { 'content-type': contentType }),
        },
      });
      const where = `${route.method} ${url} ${payload.slice(0, 200)} → ${response.statusCode} ${response.body.slice(0, 300)}`;
      return { status: response.statusCode, body: response.body, where };
    }

    /** 5xx never; 4xx in the error shape and, with `before` given, with the store as it was. */
    async function expectSafe(sent: Sent, before: Written): Promise<void> {
      expect(sent.status, sent.where).toBeLessThan(500);
      expect(({} as Record<string, unknown>).polluted, sent.where).toBeUndefined();
      if (sent.status < 400) return;
      expect(JSON.parse(sent.body), sent.where).toEqual({
        error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }),
      });
      expect(await written(harness), sent.where).toEqual(before);
    }

    it('never answers 5xx, answers 4xx in the error shape, and writes nothing when it rejects', async () => {
      expect(routes.map((r) => `${r.method} ${r.url}`)).toContain('PUT /api/v1/workspaces/:name/variables');
      const queued = await fixture.runs.enqueue({ workspace: 'plain', action: 'plan', trigger: 'manual' });
      await fc.assert(
        fc.asyncProperty(request, async ({ payload, contentType, workspace, routeIndex }) => {
          const route = routes[routeIndex % routes.length]!;
          const url = route.url
            .replace(':name', workspace)
            .replace(':id', queued.id)
            .replace(/:[A-Za-z_]+/g, 'x');
          const before = await written(harness);
          await expectSafe(await send(route, url, payload, contentType), before);
        }),
        { numRuns: 300, seed: 20270315 },
      );
    }, 120_000);

    it('applies a variables body whole or not at all', async () => {
      const route = { method: 'PUT', url: '/api/v1/workspaces/app/variables' };
      await fc.assert(
        fc.asyncProperty(variablesRequest, async (payload) => {
          const before = await written(harness);
          const previous = await fixture.secrets.resolve('app', ['api_token', 'db_password']);
          const sent = await send(route, route.url, payload, 'application/json');
          await expectSafe(sent, before);
          if (sent.status >= 400) return;
          expect(sent.status, sent.where).toBe(200);
          // Accepted: exactly the named values changed, the others are untouched.
          const changes = (JSON.parse(payload) as { sensitive: Record<string, string | null> }).sensitive;
          const values = await fixture.secrets.resolve('app', ['api_token', 'db_password']);
          for (const name of ['api_token', 'db_password']) {
            const expected = Object.hasOwn(changes, name) ? (changes[name] ?? undefined) : previous[name];
            expect(values[name], sent.where).toBe(expected);
          }
        }),
        { numRuns: 200, seed: 20270316 },
      );
    }, 120_000);
  });
});

/** What a rejected request must leave as it was: every run and every sealed secret. */
interface Written {
  readonly runs: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, string>>;
}

async function written(harness: DialectHarness): Promise<Written> {
  const runs = await harness.db.selectFrom('runs').select(['id', 'state']).execute();
  const secrets = await harness.db
    .selectFrom('workspace_secrets')
    .select(['workspace', 'name', 'ciphertext'])
    .execute();
  return {
    runs: Object.fromEntries(runs.map((run) => [run.id, run.state])),
    secrets: Object.fromEntries(secrets.map((row) => [`${row.workspace}/${row.name}`, row.ciphertext])),
  };
}
