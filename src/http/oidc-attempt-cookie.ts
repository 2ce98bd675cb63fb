/**
 * The `tide_oidc` cookie that carries a sealed sign-in attempt (src/auth/oidc/login-attempt.ts) between
 * `/oidc/login` and `/oidc/callback`. SameSite=Lax: the provider sends the browser back with a top-level
 * cross-site GET. Path `/api/v1/auth/oidc`: only these routes ever see it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthSettings } from '../auth/auth-settings.ts';
import { ATTEMPT_TTL_MS } from '../auth/oidc/login-attempt.ts';

export const ATTEMPT_COOKIE = 'tide_oidc';
const ATTEMPT_COOKIE_PATH = '/api/v1/auth/oidc';

function cookieOptions(request: FastifyRequest, settings: AuthSettings) {
  return {
    httpOnly: true,
    sameSite: 'lax',
    secure: settings.secureCookies || request.protocol === 'https',
    path: ATTEMPT_COOKIE_PATH,
  } as const;
}

export function setAttemptCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: AuthSettings,
  sealed: string,
): void {
  reply.setCookie(ATTEMPT_COOKIE, sealed, {
    ...cookieOptions(request, settings),
    maxAge: ATTEMPT_TTL_MS / 1000,
  });
}

export function clearAttemptCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  settings: AuthSettings,
): void {
  reply.clearCookie(ATTEMPT_COOKIE, cookieOptions(request, settings));
}
