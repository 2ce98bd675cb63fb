/**
 * Rate limits on the API (SPEC §7), counted in the database so they hold across replicas. Each request
 * is counted against at most one rule:
 * - the route's own `config.rateLimit` (`{ limit, windowMs, key }`), or none if it is `false`;
 * - else, under `/api/v1/auth/`, AUTH_RATE_LIMIT (per IP: guessing passwords is slow from one address);
 * - else, for POST/PUT/PATCH/DELETE, MUTATION_RATE_LIMIT (per principal, or per IP without one);
 * - other reads are not limited, except the expensive ones, which declare EXPENSIVE_READ_RATE_LIMIT.
 * A refused request is answered 429 `rate_limited` with `Retry-After` (seconds) and never reaches the
 * handler; it still counts, so hammering does not shorten the wait.
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  RouteOptions,
} from 'fastify';
import { TideError } from '../errors/tide-error.ts';
import type { Clock } from '../time/clock.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { requestPrincipal } from './request-principal.ts';

export interface RouteRateLimit {
  readonly limit: number;
  readonly windowMs: number;
  /** `ip`: the client address; `principal`: the authenticated principal, or the IP when there is none. */
  readonly key: 'ip' | 'principal';
}

/** Default for POST/PUT/PATCH/DELETE: 60 a minute per principal (or IP); a busy operator does ~1 a second at most. */
export const MUTATION_RATE_LIMIT: RouteRateLimit = { limit: 60, windowMs: 60_000, key: 'principal' };

/** Default under /api/v1/auth/: 10 a minute per IP, a person retrying a password, not a guesser. */
export const AUTH_RATE_LIMIT: RouteRateLimit = { limit: 10, windowMs: 60_000, key: 'ip' };

/**
 * For reads whose cost grows with the request (a schedule preview, a streamed run log): 60 a minute per
 * principal, each counted per route. Far above a person or a dashboard, far below what a script in a loop
 * would ask for.
 */
export const EXPENSIVE_READ_RATE_LIMIT: RouteRateLimit = { limit: 60, windowMs: 60_000, key: 'principal' };

export const AUTH_PATH_PREFIX = '/api/v1/auth/';

const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RateLimitOptions {
  readonly limiter: RateLimiter;
  readonly clock: Clock;
}

interface AppliedLimit {
  readonly rule: RouteRateLimit;
  /** Which counter: requests under the same bucket and key share a window. */
  readonly bucket: string;
}

/*
 * Route configs are read structurally, not through a FastifyContextConfig augmentation: adding a
 * property there makes every `config: { permission }` literal an excess-property error until the auth
 * code declares `permission`. Malformed rules are rejected when the route is added, not at a request.
 */
function routeRule(config: unknown): RouteRateLimit | false | undefined {
  const value = (config as { rateLimit?: unknown } | undefined)?.rateLimit;
  if (value === undefined || value === false) return value;
  const rule = value as Partial<RouteRateLimit>;
  const valid =
    Number.isInteger(rule.limit) &&
    (rule.limit ?? 0) > 0 &&
    Number.isInteger(rule.windowMs) &&
    (rule.windowMs ?? 0) > 0 &&
    (rule.key === 'ip' || rule.key === 'principal');
  if (!valid)
    throw new TypeError(`invalid config.rateLimit ${JSON.stringify(value)}: want { limit, windowMs, key }`);
  return rule as RouteRateLimit;
}

function appliedLimit(request: FastifyRequest): AppliedLimit | null {
  const { config, method, url } = request.routeOptions;
  const own = routeRule(config);
  if (own === false) return null;
  if (own) return { rule: own, bucket: `route:${String(method)}:${url ?? ''}` };
  const path = url ?? request.url.split('?')[0] ?? '';
  if (path.startsWith(AUTH_PATH_PREFIX)) return { rule: AUTH_RATE_LIMIT, bucket: 'auth' };
  if (MUTATING_METHODS.has(request.method)) return { rule: MUTATION_RATE_LIMIT, bucket: 'mutation' };
  return null;
}

function clientKey(request: FastifyRequest, rule: RouteRateLimit): string {
  const principal = rule.key === 'principal' ? requestPrincipal(request) : null;
  return principal ? `principal:${principal.id}` : `ip:${request.ip}`;
}

async function enforce(
  options: RateLimitOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  applied: AppliedLimit,
): Promise<boolean> {
  const { rule, bucket } = applied;
  const key = `${bucket}|${clientKey(request, rule)}`;
  const decision = await options.limiter.hit(key, rule.limit, rule.windowMs, options.clock.now());
  if (decision.allowed) return false;
  const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  const error = new TideError(
    'rate_limited',
    `too many requests: at most ${rule.limit} per ${rule.windowMs / 1000} s; retry in ${retryAfterSeconds} s`,
    { details: { limit: rule.limit, window_ms: rule.windowMs, retry_after_seconds: retryAfterSeconds } },
  );
  request.log.info({ rate_limit_key: key }, 'rate limited');
  // Answered here rather than thrown, so the header cannot be lost on the way through the error handler.
  await reply.code(error.httpStatus).header('retry-after', String(retryAfterSeconds)).send(error.toBody());
  return true;
}

const plugin: FastifyPluginAsync<RateLimitOptions> = async (app: FastifyInstance, options) => {
  app.addHook('onRoute', (route: RouteOptions) => {
    routeRule(route.config);
  });
  // Per-IP rules run first thing, before the body is read; per-principal rules wait for the auth
  // plugin to have identified the caller (it authenticates in an earlier hook).
  app.addHook('onRequest', async (request, reply) => {
    const applied = appliedLimit(request);
    // Returning the reply tells Fastify the response is sent and the request goes no further.
    if (applied?.rule.key === 'ip' && (await enforce(options, request, reply, applied))) return reply;
  });
  app.addHook('preHandler', async (request, reply) => {
    const applied = appliedLimit(request);
    if (applied?.rule.key === 'principal' && (await enforce(options, request, reply, applied))) return reply;
  });
};

/**
 * Registered on the root instance (Fastify's skip-override, what fastify-plugin sets), so the hooks
 * apply to every route; register it before the route plugins.
 */
export const rateLimitPlugin = Object.assign(plugin, { [Symbol.for('skip-override')]: true });
