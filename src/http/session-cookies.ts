/**
 * Browser sessions (SPEC §7): the access and refresh tokens travel in httpOnly, SameSite=Strict cookies
 * that page scripts cannot read, plus a readable CSRF cookie. Cookie-authenticated unsafe requests must
 * echo the CSRF cookie in `X-CSRF-Token` (double submit) and come from a trusted Origin. The CSRF value
 * is an HMAC of the session id under the signing key, so a cookie planted by a sibling subdomain cannot
 * be made to match.
 */
import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthSettings } from '../auth/auth-settings.ts';
import { sameSecret } from '../auth/opaque-token.ts';

export const ACCESS_COOKIE = 'tide_access';
export const REFRESH_COOKIE = 'tide_refresh';
export const CSRF_COOKIE = 'tide_csrf';
export const CSRF_HEADER = 'x-csrf-token';
/** The refresh cookie goes only where it is used: refresh and logout. */
const REFRESH_COOKIE_PATH = '/api/v1/auth';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isUnsafeMethod(method: string): boolean {
  return UNSAFE_METHODS.has(method.toUpperCase());
}

export function csrfTokenFor(key: Uint8Array, sessionId: string): string {
  return createHmac('sha256', key).update(`tide-csrf:${sessionId}`).digest('base64url');
}

function secure(request: FastifyRequest, settings: AuthSettings): boolean {
  return settings.secureCookies || request.protocol === 'https';
}

export function setSessionCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: AuthSettings,
  tokens: { accessToken: string; refreshToken: string; sessionId: string; expiresIn: number },
): string {
  const base = { httpOnly: true, sameSite: 'strict', secure: secure(request, settings) } as const;
  const refreshMaxAge = Math.floor(settings.refreshTokenTtlMs / 1000);
  const csrf = csrfTokenFor(settings.accessToken.key, tokens.sessionId);
  reply.setCookie(ACCESS_COOKIE, tokens.accessToken, { ...base, path: '/', maxAge: tokens.expiresIn });
  reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    ...base,
    path: REFRESH_COOKIE_PATH,
    maxAge: refreshMaxAge,
  });
  // Readable by the page (not httpOnly): the dashboard copies it into X-CSRF-Token.
  reply.setCookie(CSRF_COOKIE, csrf, { ...base, httpOnly: false, path: '/', maxAge: refreshMaxAge });
  return csrf;
}

export function clearSessionCookies(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: AuthSettings,
): void {
  const base = { httpOnly: true, sameSite: 'strict', secure: secure(request, settings) } as const;
  reply.clearCookie(ACCESS_COOKIE, { ...base, path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { ...base, path: REFRESH_COOKIE_PATH });
  reply.clearCookie(CSRF_COOKIE, { ...base, httpOnly: false, path: '/' });
}

/**
 * The Origin (or, when a browser omits it, the Referer's origin) is the request's own host or a trusted
 * origin. Own host compares host and port only: behind a TLS-terminating proxy the scheme Tide sees is
 * not the browser's, while a cross-site page can never make the browser send the victim's Host.
 */
export function originTrusted(request: FastifyRequest, settings: AuthSettings): boolean {
  const header = request.headers.origin ?? request.headers.referer;
  if (typeof header !== 'string' || header === '' || header === 'null') return false;
  let origin: URL;
  try {
    origin = new URL(header);
  } catch {
    return false;
  }
  return sameHost(origin, request.host) || settings.trustedOrigins.includes(origin.origin);
}

/** Same host name and port; a Host header without a port stands for either default port. */
function sameHost(origin: URL, host: string): boolean {
  let own: URL;
  try {
    own = new URL(`http://${host}`);
  } catch {
    return false;
  }
  if (origin.hostname !== own.hostname) return false;
  const originPort = origin.port || (origin.protocol === 'https:' ? '443' : '80');
  return own.port === '' ? originPort === '80' || originPort === '443' : own.port === originPort;
}

/** The double-submit check: header, cookie and the session's expected value all agree. */
export function csrfTokenValid(request: FastifyRequest, settings: AuthSettings, sessionId: string): boolean {
  const header = request.headers[CSRF_HEADER];
  const cookie = request.cookies[CSRF_COOKIE];
  if (typeof header !== 'string' || typeof cookie !== 'string') return false;
  return sameSecret(header, cookie) && sameSecret(header, csrfTokenFor(settings.accessToken.key, sessionId));
}
