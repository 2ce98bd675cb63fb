/**
 * `/api/v1/auth/login|refresh|logout` and `/api/v1/me` (SPEC §6). Login and refresh answer with tokens
 * in the body, or — with `?session=cookie` on login, or when the refresh token came as a cookie — set a
 * browser session's cookies and answer with the CSRF token only (session-cookies.ts).
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { actingOf, principalOf, requestContextOf } from '../http/auth.plugin.ts';
import { unauthenticated } from '../auth/auth-errors.ts';
import type { AuthDeps } from '../auth/auth-settings.ts';
import { changePasswordBody, loginBody, loginQuery, logoutBody, refreshBody } from '../auth/auth.schemas.ts';
import { LoginService } from '../auth/login.service.ts';
import {
  clearSessionCookies,
  csrfTokenValid,
  originTrusted,
  REFRESH_COOKIE,
  setSessionCookies,
} from '../http/session-cookies.ts';
import { SessionService, type TokenPair } from '../auth/session.service.ts';
import { UserService } from '../auth/user.service.ts';
import { TideError } from '../errors/tide-error.ts';
import { parseRequest } from './api-schemas.ts';
import { routeConfig } from './route-config.ts';
import { meResponse } from './api-responses.ts';

/**
 * Answers carrying tokens (login, refresh, token creation) and who-am-I must never be kept by a browser
 * or a proxy cache: every answer of the auth and token routes, errors included, says so.
 */
export function noStore(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('cache-control', 'no-store');
    return payload;
  });
}

function csrfFailed(): TideError {
  return new TideError('csrf_failed', 'missing or mismatched X-CSRF-Token, or an untrusted Origin');
}

export const authRoutes: FastifyPluginAsync<{ auth: AuthDeps }> = async (app, { auth }) => {
  noStore(app);
  const logins = new LoginService(auth);
  const sessions = new SessionService(auth);
  const users = new UserService(auth);

  /** The body answer, or the browser session's cookies with only what the page needs in the body. */
  function answer(request: FastifyRequest, reply: FastifyReply, pair: TokenPair, cookie: boolean) {
    const { sessionId, ...body } = pair;
    if (!cookie) return body;
    const csrf = setSessionCookies(request, reply, auth.settings, {
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      sessionId,
      expiresIn: pair.expires_in,
    });
    return { session: 'cookie', expires_in: pair.expires_in, csrf_token: csrf };
  }

  const loginConfig = routeConfig({
    permission: 'public',
    summary: 'Log in with a username and password: tokens, or a browser session with ?session=cookie',
    schemas: { body: loginBody, querystring: loginQuery },
  });
  app.post('/auth/login', { config: loginConfig }, async (request, reply) => {
    const body = parseRequest(loginBody, request.body, 'body');
    const cookie = parseRequest(loginQuery, request.query, 'query').session === 'cookie';
    // A page elsewhere must not log a visitor's browser into the attacker's account (login CSRF).
    if (cookie && !originTrusted(request, auth.settings)) throw csrfFailed();
    const user = await logins.login(body, requestContextOf(request));
    return answer(request, reply, await sessions.start(user), cookie);
  });

  const refreshConfig = routeConfig({
    permission: 'public',
    summary:
      'Exchange a refresh token (body or session cookie) for new tokens; each refresh token works once',
    schemas: { body: refreshBody },
  });
  app.post('/auth/refresh', { config: refreshConfig }, async (request, reply) => {
    const given = parseRequest(refreshBody, request.body, 'body').refresh_token;
    const cookieToken = given === undefined ? request.cookies[REFRESH_COOKIE] : undefined;
    const token = given ?? cookieToken;
    if (!token) throw unauthenticated('send {"refresh_token": …}, or the session cookie');
    if (cookieToken !== undefined) {
      const session = await sessions.sessionOf(cookieToken);
      if (!originTrusted(request, auth.settings) || !csrfTokenValid(request, auth.settings, session ?? ''))
        throw csrfFailed();
    }
    const { user: _user, ...pair } = await sessions.refresh(token, requestContextOf(request));
    return answer(request, reply, pair, cookieToken !== undefined);
  });

  const logoutConfig = routeConfig({
    permission: 'self',
    summary: 'End the session of the access token (and of the refresh token given); clears session cookies',
    schemas: { body: logoutBody },
  });
  app.post('/auth/logout', { config: logoutConfig }, async (request, reply) => {
    const given = parseRequest(logoutBody, request.body, 'body').refresh_token;
    const principal = principalOf(request);
    if (principal.kind === 'api_token')
      throw new TideError(
        'invalid_argument',
        'an API token has no session to end; revoke it with DELETE /api/v1/tokens/{id}',
      );
    const token = given ?? (principal.via === 'cookie' ? request.cookies[REFRESH_COOKIE] : undefined);
    await sessions.logout(principal, token, requestContextOf(request));
    clearSessionCookies(request, reply, auth.settings);
    return reply.code(204).send();
  });

  const meConfig = routeConfig({
    permission: 'self',
    summary: 'Who the credentials stand for: user or token, role, scope',
    schemas: { response: { status: 200, schema: meResponse } },
  });
  app.get('/me', { config: meConfig }, async (request) => {
    const principal = principalOf(request);
    return {
      username: principal.username,
      role: principal.role,
      workspaces: principal.workspaces,
      kind: principal.kind,
      token: principal.tokenId ? { id: principal.tokenId, name: principal.tokenName } : null,
      via: principal.via,
    };
  });

  const passwordConfig = routeConfig({
    permission: 'self',
    summary: 'Change your own password (ends all your sessions)',
    schemas: { body: changePasswordBody },
  });
  app.post('/me/password', { config: passwordConfig }, async (request, reply) => {
    const body = parseRequest(changePasswordBody, request.body, 'body');
    const principal = principalOf(request);
    if (principal.kind !== 'user')
      throw new TideError('forbidden', 'an API token cannot change a password; log in as the user');
    await users.changeOwnPassword(principal, body.current_password, body.new_password, actingOf(request));
    clearSessionCookies(request, reply, auth.settings);
    return reply.code(204).send();
  });
};
