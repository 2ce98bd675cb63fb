/**
 * Single sign-on routes (SPEC §6): `GET /api/v1/auth/oidc/login` sends the browser to the identity
 * provider, `GET /api/v1/auth/oidc/callback` is where the provider sends it back; a successful sign-in
 * starts a browser session exactly like `POST /auth/login?session=cookie` and redirects to the page
 * the sign-in began from. Both are public (the browser has no Tide credentials yet) and answer
 * 404 `not_found` when TIDE_OIDC_* is not configured. The flow itself is src/auth/oidc/.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requestContextOf } from '../http/auth.plugin.ts';
import type { AuthDeps } from '../auth/auth-settings.ts';
import { safeReturnTo } from '../auth/oidc/login-attempt.ts';
import { OidcLoginService } from '../auth/oidc/oidc-login.service.ts';
import { OIDC_CALLBACK_PATH, type OidcSettings } from '../auth/oidc/oidc-settings.ts';
import { ATTEMPT_COOKIE, clearAttemptCookie, setAttemptCookie } from '../http/oidc-attempt-cookie.ts';
import { setSessionCookies } from '../http/session-cookies.ts';
import { SessionService } from '../auth/session.service.ts';
import { TideError } from '../errors/tide-error.ts';
import type { RouteRateLimit } from '../http/rate-limit.plugin.ts';
import { parseRequest } from './api-schemas.ts';
import { noStore } from './auth.routes.ts';
import { routeConfig } from './route-config.ts';

export const oidcLoginQuery = z.strictObject({
  /** A path on this server to land on after signing in (default `/`). */
  return_to: z.string().max(2048).optional(),
});

/**
 * What the provider sends back. Loose: providers add their own parameters (`session_state`, …), and
 * refusing them would break sign-in for no gain; openid-client checks the ones that matter.
 */
export const oidcCallbackQuery = z.looseObject({
  code: z.string().max(4096).optional(),
  state: z.string().max(1024).optional(),
  iss: z.string().max(2048).optional(),
  error: z.string().max(256).optional(),
  error_description: z.string().max(2048).optional(),
});

/**
 * Per address, in a bucket of its own rather than the 10-a-minute auth default: no password is
 * guessed here (the provider does that), each sign-in takes two requests, and an office behind one NAT
 * signs in together on Monday morning.
 */
const OIDC_RATE_LIMIT: RouteRateLimit = { limit: 60, windowMs: 60_000, key: 'ip' };

function notConfigured(): TideError {
  return new TideError(
    'not_found',
    'OIDC is not configured: set TIDE_OIDC_ISSUER, TIDE_OIDC_CLIENT_ID and TIDE_OIDC_CLIENT_SECRET',
  );
}

/**
 * TIDE_PUBLIC_URL's callback, else one on the host the browser used. Behind a proxy the request's
 * scheme and host are the proxy's view, so set TIDE_PUBLIC_URL there (docs/security.md).
 */
function redirectUriFor(request: FastifyRequest, oidc: OidcSettings): string {
  return oidc.redirectUri ?? `${request.protocol}://${request.host}${OIDC_CALLBACK_PATH}`;
}

export const oidcRoutes: FastifyPluginAsync<{ auth: AuthDeps; oidc: OidcSettings | null }> = async (
  app,
  { auth, oidc },
) => {
  noStore(app);
  const signIn = oidc ? new OidcLoginService(auth, oidc) : null;
  const sessions = new SessionService(auth);

  const loginConfig = {
    ...routeConfig({
      permission: 'public',
      summary: 'Single sign-on: redirect the browser to the identity provider (302)',
      schemas: { querystring: oidcLoginQuery },
    }),
    rateLimit: OIDC_RATE_LIMIT,
  };
  app.get('/auth/oidc/login', { config: loginConfig }, async (request, reply) => {
    if (!signIn || !oidc) throw notConfigured();
    const query = parseRequest(oidcLoginQuery, request.query, 'query');
    const returnTo = safeReturnTo(query.return_to);
    const { url, sealed } = await signIn.begin({ redirectUri: redirectUriFor(request, oidc), returnTo });
    setAttemptCookie(request, reply, auth.settings, sealed);
    return reply.redirect(url.href, 302);
  });

  const callbackConfig = {
    ...routeConfig({
      permission: 'public',
      summary: 'Single sign-on: the identity provider returns here; starts a browser session (302)',
      schemas: { querystring: oidcCallbackQuery },
    }),
    rateLimit: OIDC_RATE_LIMIT,
  };
  app.get('/auth/oidc/callback', { config: callbackConfig }, async (request, reply) => {
    if (!signIn) throw notConfigured();
    parseRequest(oidcCallbackQuery, request.query, 'query');
    // Whatever happens next, this attempt is over: a retry starts from /oidc/login.
    clearAttemptCookie(request, reply, auth.settings);
    // The raw query, not the parsed one: openid-client reads every parameter the provider sent.
    const rawQuery = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
    const { user, returnTo } = await signIn.finish(
      rawQuery,
      request.cookies[ATTEMPT_COOKIE],
      requestContextOf(request),
    );
    const pair = await sessions.start(user);
    setSessionCookies(request, reply, auth.settings, {
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      sessionId: pair.sessionId,
      expiresIn: pair.expires_in,
    });
    return reply.redirect(returnTo, 302);
  });
};
