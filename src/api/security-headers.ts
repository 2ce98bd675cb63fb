/**
 * Response headers that make the API hard to misuse from a browser (SPEC §7), on every response —
 * errors, 404s and streamed logs included, since both parts write on the raw response, which a hijacked
 * reply keeps:
 * - helmet: CSP `default-src 'none'` (the API serves JSON, never a page; the dashboard will give `/` its
 *   own policy through the route option `helmet`), frame-ancestors 'none' plus X-Frame-Options DENY,
 *   nosniff, Referrer-Policy no-referrer, HSTS only when TIDE_PUBLIC_URL is https (over plain http
 *   browsers ignore it, and a wrong one locks people out for a year), no X-Powered-By;
 * - CORS by exact origin from TIDE_CORS_ORIGINS, default none. Written here rather than with
 *   @fastify/cors because that plugin adds an unguarded `OPTIONS *` route, answers a refused preflight
 *   with a 404 and cannot reach hijacked replies; a refused preflight here is a 403 in the error shape.
 */
import helmet from 'helmet';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TideError } from '../errors/tide-error.ts';

export interface HttpSecurityOptions {
  /** TIDE_PUBLIC_URL: when https, responses carry Strict-Transport-Security. */
  readonly publicUrl?: string | undefined;
  /** TIDE_CORS_ORIGINS: exact origins (`https://app.example.com`) allowed to call with credentials. */
  readonly corsOrigins?: readonly string[];
}

/** One year, the usual HSTS lifetime; subdomains are left alone, they may be served by someone else. */
const HSTS_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;
/** How long a browser may cache a preflight answer (Chromium caps it at 2 hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
const CORS_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
/** Response headers a cross-origin page may read besides the CORS-safelisted ones. */
const CORS_EXPOSED_HEADERS = 'Retry-After, X-Request-Id, Content-Disposition';
const headerList = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/** The API's Content-Security-Policy directives, exported for routes that need to extend rather than restate it. */
export const apiCspDirectives = {
  defaultSrc: ["'none'"],
  // Not covered by default-src: each is named so nothing falls back to "allow".
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

export function registerSecurityHeaders(app: FastifyInstance, options: HttpSecurityOptions): void {
  const https = options.publicUrl !== undefined && new URL(options.publicUrl).protocol === 'https:';
  // Built once: @fastify/helmet built helmet's middleware anew on every request, a tenth of a cheap GET.
  const applyHelmet = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: apiCspDirectives },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: https ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: false } : false,
    // helmet's xPoweredBy stays on: it removes X-Powered-By should anything in the process set it.
  });
  // helmet 8 throws its errors instead of passing them on, so the callback only ever continues.
  app.addHook('onRequest', (request, reply, done) => applyHelmet(request.raw, reply.raw, () => done()));
  const allowed = new Set(options.corsOrigins ?? []);
  app.addHook('onRequest', async (request, reply) => applyCors(request, reply, allowed));
}

async function applyCors(
  request: FastifyRequest,
  reply: FastifyReply,
  allowed: ReadonlySet<string>,
): Promise<FastifyReply | undefined> {
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  const preflight =
    request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
  const raw = reply.raw;
  // Answers differ by Origin, so shared caches must key on it, allowed or not.
  raw.setHeader('Vary', 'Origin');
  if (!allowed.has(origin)) {
    if (!preflight) return undefined;
    throw new TideError(
      'origin_not_allowed',
      `origin ${origin.slice(0, 200)} may not call this API (TIDE_CORS_ORIGINS)`,
    );
  }
  raw.setHeader('Access-Control-Allow-Origin', origin);
  raw.setHeader('Access-Control-Allow-Credentials', 'true');
  raw.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS);
  if (!preflight) return undefined;
  raw.setHeader('Vary', 'Origin, Access-Control-Request-Headers');
  raw.setHeader('Access-Control-Allow-Methods', CORS_METHODS);
  // The origin is trusted, so the headers it asks for are allowed; a malformed list is dropped.
  const requested = request.headers['access-control-request-headers'];
  if (typeof requested === 'string' && headerList.test(requested)) {
    raw.setHeader('Access-Control-Allow-Headers', requested);
  }
  raw.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SECONDS));
  return reply.code(204).send();
}
