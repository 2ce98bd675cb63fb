/**
 * What a route declares about itself in its Fastify `config`, beyond its permission: a summary and the
 * zod schemas its handler validates with (`parseRequest`). The OpenAPI document (openapi.ts) is built
 * from exactly these objects, so the docs cannot describe a request the route would reject, or the
 * reverse.
 */
import type { z } from 'zod';
import type { RoutePermission } from '../auth/permissions.ts';
import type { RouteRateLimit } from '../http/rate-limit.plugin.ts';

export interface RouteSchemas {
  readonly params?: z.ZodType;
  readonly querystring?: z.ZodType;
  readonly body?: z.ZodType;
  /**
   * What a success answers: the status and the body's schema (`io: 'output'` in the document). Schemas
   * carrying `.meta({ id })` become named components, so the dashboard's generated types have names.
   */
  readonly response?: RouteResponse;
}

export interface RouteResponse {
  readonly status: 200 | 201 | 202 | 204;
  readonly schema: z.ZodType;
}

export interface RouteDocs {
  /** One line for people reading the API documentation. */
  readonly summary: string;
  readonly schemas?: RouteSchemas;
}

export interface RouteLimits {
  /** The route's own rate limit (rate-limit.plugin.ts); `false` for none; absent for the default rules. */
  readonly rateLimit?: RouteRateLimit | false;
}

export type DocumentedRouteConfig = RoutePermission & RouteDocs & RouteLimits;

/**
 * Returns the config as given. Routing it through a function gives the object a declared type, so
 * Fastify's `config` accepts it whichever properties other modules declare on FastifyContextConfig.
 */
export function routeConfig(config: DocumentedRouteConfig): DocumentedRouteConfig {
  return config;
}

/** Reads a route's config structurally: routes declared without routeConfig have only some of it. */
export function routeDocsOf(config: unknown): Partial<DocumentedRouteConfig> {
  return typeof config === 'object' && config !== null ? (config as Partial<DocumentedRouteConfig>) : {};
}
