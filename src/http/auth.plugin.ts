/**
 * Authentication and authorization for every route (SPEC §7). Each route declares
 * `config: { permission, workspaceParam? }`; on each request this plugin resolves the principal
 * (Bearer access token, Bearer API token, or the session cookie), then enforces, in order:
 * credentials present and valid (401 `unauthenticated`), CSRF for cookie-authenticated unsafe requests
 * (403 `csrf_failed`), the role (403 `forbidden`) and the workspace patterns when the route names a
 * workspace parameter (403 `forbidden`). A route that declares no permission is refused (fail closed)
 * and reported at startup; test/route-permissions.test.ts fails on it.
 *
 * It runs in `onRequest`, before the body is read: an anonymous caller cannot make the server parse a
 * megabyte. Routes about a resource that belongs to a workspace (a run) check it with
 * `assertWorkspaceAccess` once they know the workspace.
 */
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuditRecorder } from '../audit/audit-entry.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { recordAuthEvent, type RequestContext } from '../auth/auth-audit.ts';
import { forbidden, unauthenticated } from '../auth/auth-errors.ts';
import type { AuthSettings } from '../auth/auth-settings.ts';
import { roleAllows, type Permission, type RoutePermission } from '../auth/permissions.ts';
import { resolveCredential, type Principal } from '../auth/principal.ts';
import { PrincipalCache } from '../auth/principal-cache.ts';
import { changeStampOf } from '../store/change-stamp.ts';
import { ACCESS_COOKIE, csrfTokenValid, isUnsafeMethod, originTrusted } from './session-cookies.ts';
import { TideError } from '../errors/tide-error.ts';
import type { WorkspaceScope } from '../auth/workspace-scope.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; null on public routes and before authentication. */
    principal: Principal | null;
  }
  // Routes pass their config through routeConfig() (src/api/route-config.ts), which gives it a declared
  // type, so other plugins' settings in the same object are not excess-property errors.
  interface FastifyContextConfig {
    permission?: RoutePermission['permission'];
    workspaceParam?: RoutePermission['workspaceParam'];
  }
}

export interface AuthPluginOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly audit: AuditRecorder;
  readonly settings: AuthSettings;
}

const permissions: readonly Permission[] = ['public', 'run', 'self', 'read', 'operate', 'admin'];

function declared(config: unknown): RoutePermission | null {
  const { permission, workspaceParam } = (config ?? {}) as Partial<RoutePermission>;
  if (!permission || !permissions.includes(permission)) return null;
  return workspaceParam === undefined ? { permission } : { permission, workspaceParam };
}

/**
 * The credential a request carries: a Bearer header wins over the session cookie. Exported for the event
 * stream, which resolves it again while its connection stays open.
 */
export function credentialOf(request: FastifyRequest): { value: string; via: Principal['via'] } | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // A malformed header is an error, not "anonymous": falling back to the cookie would hide the mistake.
    if (!match?.[1]) throw unauthenticated('malformed Authorization header: expected "Bearer <token>"');
    return { value: match[1], via: 'bearer' };
  }
  const cookie = request.cookies[ACCESS_COOKIE];
  return cookie ? { value: cookie, via: 'cookie' } : null;
}

const plugin: FastifyPluginAsync<AuthPluginOptions> = async (app: FastifyInstance, options) => {
  await app.register(fastifyCookie);
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    if (!declared(route.config))
      app.log.error(
        { method: route.method, url: route.url },
        'route declares no permission: every request to it is refused',
      );
  });

  const principals = new PrincipalCache(changeStampOf(options.db));
  app.addHook('onRequest', async (request) => {
    // Unknown routes answer 404 whoever asks: there is nothing behind them to protect.
    if (request.is404) return;
    const route = declared(request.routeOptions.config);
    if (!route)
      throw new TideError('internal', `route ${request.routeOptions.url ?? ''} declares no permission`);
    // A run's credential is not a person's: the state backend's own hook checks it.
    if (route.permission === 'public' || route.permission === 'run') return;
    const credential = credentialOf(request);
    if (!credential) throw unauthenticated();
    const now = options.clock.now();
    const principal = await principals.resolve(credential.value, credential.via, now, () =>
      resolveCredential(
        { db: options.db, accessToken: options.settings.accessToken },
        credential.value,
        credential.via,
        now,
      ),
    );
    if (!principal) throw unauthenticated('the token is invalid, expired or revoked');
    request.principal = principal;
    await authorize(request, principal, route, options);
  });
};

async function authorize(
  request: FastifyRequest,
  principal: Principal,
  route: RoutePermission,
  options: AuthPluginOptions,
): Promise<void> {
  const unsafe = isUnsafeMethod(request.method);
  let refusal: TideError | null = null;
  if (principal.via === 'cookie' && unsafe) {
    const settings = options.settings;
    if (!originTrusted(request, settings) || !csrfTokenValid(request, settings, principal.sessionId ?? ''))
      refusal = new TideError('csrf_failed', 'missing or mismatched X-CSRF-Token, or an untrusted Origin');
  }
  if (!refusal && !roleAllows(principal.role, route.permission))
    refusal = forbidden(`role ${principal.role} may not do this (needs ${route.permission})`, {
      role: principal.role,
      permission: route.permission,
    });
  const workspace = route.workspaceParam
    ? (request.params as Record<string, unknown>)[route.workspaceParam]
    : undefined;
  if (!refusal && typeof workspace === 'string' && !principal.scope.allows(workspace))
    refusal = outOfScope(workspace);
  if (!refusal) return;
  // Refused mutations are audited: someone tried to change something they may not.
  if (unsafe)
    await recordAuthEvent({ audit: options.audit, logger: request.log }, requestContextOf(request), {
      actor: principal.name,
      action: 'auth.denied',
      target:
        typeof workspace === 'string'
          ? `workspace:${workspace}`
          : `route:${request.method} ${request.routeOptions.url ?? ''}`,
      result: 'denied',
      details: { reason: refusal.code, permission: route.permission },
    });
  throw refusal;
}

function outOfScope(workspace: string): TideError {
  return forbidden(`workspace "${workspace}" is outside your workspace patterns`, { workspace });
}

/** Registered on the root instance (Fastify's skip-override, as fastify-plugin sets), before the routes. */
export const authPlugin = Object.assign(plugin, { [Symbol.for('skip-override')]: true });

/** The caller; for routes whose permission is not `public` the plugin has set it. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated();
  return request.principal;
}

/** What the caller may see of workspaces: list routes filter with it. */
export function scopeOf(request: FastifyRequest): WorkspaceScope {
  return principalOf(request).scope;
}

/** For routes that learn the workspace from the resource (a run): 403 outside the caller's patterns. */
export function assertWorkspaceAccess(request: FastifyRequest, workspace: string): void {
  if (!scopeOf(request).allows(workspace)) throw outOfScope(workspace);
}

/** Where the request came from, for the audit log. */
export function requestContextOf(request: FastifyRequest): RequestContext {
  return { sourceIp: request.ip, requestId: request.id };
}

/** The caller as the audit log's actor, with the request's context. */
export function actingOf(request: FastifyRequest): RequestContext & { actor: string } {
  return { ...requestContextOf(request), actor: principalOf(request).name };
}
