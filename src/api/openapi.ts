/**
 * The OpenAPI 3.1 document at `GET /api/v1/openapi.json` (SPEC §6), generated rather than written: an
 * `onRoute` hook records every route as it is added — method, URL, permission, summary and the zod
 * schemas it validates with (route-config.ts) — and the document turns those schemas into JSON Schema
 * with `z.toJSONSchema`, the dialect OpenAPI 3.1 uses. Built once, at the first request, when every
 * route exists.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Permission } from '../auth/permissions.ts';
import { routeConfig, routeDocsOf, type RouteSchemas } from './route-config.ts';

export interface RecordedRoute {
  readonly method: string;
  /** Fastify syntax, prefix included: `/api/v1/workspaces/:name`. */
  readonly url: string;
  readonly permission?: Permission;
  readonly summary?: string;
  readonly schemas: RouteSchemas;
}

type JsonSchema = Record<string, unknown>;

/** Only the HTTP API is documented; a dashboard's pages and assets are not part of it. */
const DOCUMENTED = (url: string) => url.startsWith('/api/') || url === '/metrics';
/**
 * HEAD mirrors GET and OPTIONS is CORS (security-headers.ts): neither is an operation of its own. LOCK and
 * UNLOCK (the state backend's) have no place in OpenAPI; docs/api.md describes them.
 */
const SKIPPED_METHODS = new Set(['HEAD', 'OPTIONS', 'LOCK', 'UNLOCK']);

/** Starts recording routes; call before any route is registered. The array fills as plugins load. */
export function recordRoutes(app: FastifyInstance): readonly RecordedRoute[] {
  const routes: RecordedRoute[] = [];
  app.addHook('onRoute', (route) => {
    if (!DOCUMENTED(route.url)) return;
    const docs = routeDocsOf(route.config);
    for (const method of [route.method].flat()) {
      if (SKIPPED_METHODS.has(method)) continue;
      routes.push({
        method,
        url: route.url,
        ...(docs.permission === undefined ? {} : { permission: docs.permission }),
        ...(docs.summary === undefined ? {} : { summary: docs.summary }),
        schemas: docs.schemas ?? {},
      });
    }
  });
  return routes;
}

export const openApiRoutes: FastifyPluginAsync<{
  routes: readonly RecordedRoute[];
  version: string;
}> = async (app, { routes, version }) => {
  let document: object | null = null;
  app.get(
    '/openapi.json',
    { config: routeConfig({ permission: 'public', summary: 'This document: the API as OpenAPI 3.1' }) },
    async () => (document ??= openApiDocument(routes, version)),
  );
};

export function openApiDocument(routes: readonly RecordedRoute[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const components: Record<string, JsonSchema> = {};
  const sorted = [...routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
  for (const route of sorted) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route, path, components);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tide API',
      version,
      description:
        'Schedules OpenTofu workspaces. Errors are `{"error": {"code", "message", "details"?}}`; lists are `{"items", "next_cursor"}`. See docs/api.md.',
    },
    // Authenticated unless an operation says otherwise (`security: []`).
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An access token from POST /api/v1/auth/login, or an API token.',
        },
        runCredential: {
          type: 'http',
          scheme: 'basic',
          description:
            "A run's state credential (TF_HTTP_USERNAME / TF_HTTP_PASSWORD in the engine's environment), valid while the run holds its lease.",
        },
      },
      schemas: { Error: errorSchema, ...sortedByKey(components) },
      responses: {
        Error: {
          description: 'The request failed; `code` is stable (docs/errors.md).',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
    },
  };
}

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

function operation(route: RecordedRoute, path: string, components: Record<string, JsonSchema>): JsonSchema {
  const { params, querystring, body, response } = route.schemas;
  const parameters = [...parametersOf(params, 'path'), ...parametersOf(querystring, 'query')];
  return {
    operationId: operationId(route.method, path),
    summary: route.summary ?? `${route.method} ${path}`,
    tags: [tagOf(path)],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body
      ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(body) } } } }
      : {}),
    responses: {
      ...(response
        ? { [String(response.status)]: successResponse(response.status, response.schema, components) }
        : { '2XX': { description: 'Success' } }),
      '4XX': { $ref: '#/components/responses/Error' },
      '5XX': { $ref: '#/components/responses/Error' },
    },
    ...(route.permission === 'public' ? { security: [] } : {}),
    ...(route.permission === 'run' ? { security: [{ runCredential: [] }] } : {}),
    // Which role a caller needs (SPEC §7): read = viewer, operate = operator, admin = admin.
    'x-tide-permission': route.permission ?? 'undeclared',
  };
}

/** Input shape (`io: 'input'`): what a client sends, before defaults and transforms. */
function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

/**
 * Output shape (`io: 'output'`): what the server answers. Named schemas (`.meta({ id })`) move from the
 * schema's `$defs` to the document's components, shared by every operation that answers them.
 */
function successResponse(
  status: number,
  schema: z.ZodType,
  components: Record<string, JsonSchema>,
): JsonSchema {
  if (status === 204) return { description: 'No content' };
  const converted = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  const {
    $schema: _dialect,
    $defs,
    ...rest
  } = toComponentRefs(converted) as JsonSchema & {
    $defs?: Record<string, JsonSchema>;
  };
  Object.assign(components, $defs);
  return { description: 'Success', content: { 'application/json': { schema: rest } } };
}

function toComponentRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toComponentRefs);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string'
        ? [key, value.replace(/^#\/\$defs\//, '#/components/schemas/')]
        : [key, toComponentRefs(value)],
    ),
  );
}

function sortedByKey(record: Record<string, JsonSchema>): Record<string, JsonSchema> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchemaOf(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...propertySchema } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: propertySchema,
    };
  });
}

/** `get` + `/api/v1/workspaces/{name}/variables` → `getWorkspacesNameVariables`. */
function operationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/(v1\/)?/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '');
  return method.toLowerCase() + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

function tagOf(path: string): string {
  const [first] = path.replace(/^\/api\/(v1\/)?/, '').split('/');
  return first || 'api';
}
