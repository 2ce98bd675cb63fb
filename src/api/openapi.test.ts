import type { RouteOptions } from 'fastify';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, forEachApiDialect } from '../../test/helpers/api-fixture.ts';
import { openApiDocument } from './openapi.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document is checked by assertions, not types
type Doc = any;

const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Every $ref in the document, with the path where it occurs. */
function refs(node: unknown, at = '#'): Array<[string, string]> {
  if (Array.isArray(node)) return node.flatMap((item, index) => refs(item, `${at}/${index}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string'
      ? [[at, value] as [string, string]]
      : refs(value, `${at}/${key}`),
  );
}

function resolve(doc: Doc, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
}

forEachApiDialect('OpenAPI document', (fixture, harness) => {
  // Routes as Fastify registers them, recorded by a hook of the test's own: the document must match these.
  const registered: Array<Pick<RouteOptions, 'method' | 'url'>> = [];
  let doc: Doc;
  beforeAll(async () => {
    const { app } = apiFixture(harness.db, fixture().config);
    app.addHook('onRoute', (route) => void registered.push({ method: route.method, url: route.url }));
    await app.ready();
    const response = await app.inject({ url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    doc = response.json();
  });

  it('is an OpenAPI 3.1 document with bearer authentication', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'Tide API', version: expect.any(String) });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
  });

  it("documents every /api/v1 route with its method (the state backend's WebDAV LOCK/UNLOCK have no OpenAPI form)", () => {
    const api = registered.filter((route) => route.url.startsWith('/api/v1/'));
    const operations = api.flatMap((route) =>
      [route.method]
        .flat()
        .filter((method) => !['HEAD', 'OPTIONS', 'LOCK', 'UNLOCK'].includes(method))
        .map((method) => [method, route.url]),
    );
    expect(operations.length).toBeGreaterThan(10);
    for (const [method, url] of operations) {
      expect(doc.paths[toOpenApiPath(url!)]?.[method!.toLowerCase()], `${method} ${url}`).toBeDefined();
    }
  });

  it('declares each path parameter, gives operations unique ids, and resolves every $ref', () => {
    const ids = new Set<string>();
    for (const [path, operations] of Object.entries<Record<string, Doc>>(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      for (const [method, operation] of Object.entries(operations)) {
        const inPath = (operation.parameters ?? [])
          .filter((p: Doc) => p.in === 'path')
          .map((p: Doc) => p.name);
        expect(inPath.sort(), `${method} ${path}`).toEqual([...names].sort());
        expect(ids.has(operation.operationId), operation.operationId).toBe(false);
        ids.add(operation.operationId);
        expect(operation.responses['4XX']).toEqual({ $ref: '#/components/responses/Error' });
      }
    }
    for (const [at, ref] of refs(doc)) expect(resolve(doc, ref), `${ref} at ${at}`).toBeDefined();
  });

  it('generates request schemas from the zod schemas the routes validate with', () => {
    const put = doc.paths['/api/v1/workspaces/{name}/variables'].put;
    const body = put.requestBody.content['application/json'].schema;
    expect(body).toMatchObject({ type: 'object', required: ['sensitive'], additionalProperties: false });
    expect(body.properties.sensitive.additionalProperties.anyOf).toEqual([
      expect.objectContaining({ type: 'string', minLength: 4 }),
      { type: 'null' },
    ]);
    expect(put.summary).toBe('Set or delete sensitive variable values (write-only)');
    const list = doc.paths['/api/v1/runs'].get.parameters.map((p: Doc) => [p.name, p.in, p.required]);
    expect(list).toEqual(
      expect.arrayContaining([
        ['workspace', 'query', false],
        ['limit', 'query', false],
      ]),
    );
  });

  it('turns permissions into security requirements: public operations need none', () => {
    expect(doc.paths['/api/v1/openapi.json'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/workspaces/{name}/variables'].put.security).toBeUndefined();
    expect(doc.paths['/api/v1/workspaces/{name}/variables'].put['x-tide-permission']).toBe('operate');
    expect(doc.paths['/api/v1/workspaces/{name}/variables'].get['x-tide-permission']).toBe('read');
  });
});

describe('openApiDocument', () => {
  it('describes a query parameter with its default as optional, and a path parameter as required', () => {
    const doc: Doc = openApiDocument(
      [
        {
          method: 'GET',
          url: '/api/v1/things/:id',
          permission: 'read',
          summary: 'One thing',
          schemas: {
            params: z.strictObject({ id: z.string().describe('The id') }),
            querystring: z.strictObject({ limit: z.coerce.number().default(10), q: z.string() }),
          },
        },
      ],
      '1.2.3',
    );
    expect(doc.paths['/api/v1/things/{id}'].get).toMatchObject({
      operationId: 'getThingsId',
      summary: 'One thing',
      tags: ['things'],
      parameters: [
        { name: 'id', in: 'path', required: true, description: 'The id', schema: { type: 'string' } },
        { name: 'limit', in: 'query', required: false },
        { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
      ],
      'x-tide-permission': 'read',
    });
  });
});
