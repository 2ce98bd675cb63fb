/**
 * The HTTP API as a function of its dependencies (STYLE habit 11): no listening here, the daemon does
 * that; tests call `inject()`. Each domain adds its routes as a plugin; errors of every route go
 * through the one handler in error-handler.ts.
 */
import { notificationRoutes } from './notification.routes.ts';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { authPlugin } from '../http/auth.plugin.ts';
import type { AuthDeps } from '../auth/auth-settings.ts';
import { tideVersion } from '../version/version.ts';
import { rateLimitPlugin } from '../http/rate-limit.plugin.ts';
import { trustProxyOption } from '../auth/trust-proxy.ts';
import { observeHttp, REQUEST_ID_LOG_LABEL, requestIdOf } from '../http/http-observability.ts';
import type { ApiDeps } from './api-deps.ts';
import { auditRoutes } from './audit.routes.ts';
import { dashboardRoutes } from './dashboard.routes.ts';
import { authRoutes } from './auth.routes.ts';
import { BODY_LIMIT_BYTES } from './api-schemas.ts';
import { registerErrorHandling } from './error-handler.ts';
import { environmentRoutes } from './environment.routes.ts';
import { eventsRoutes, websocketPluginOptions } from './events.routes.ts';
import { healthRoutes } from './health.routes.ts';
import { jobRoutes } from './job.routes.ts';
import { metricsRoutes } from './metrics.routes.ts';
import { oidcRoutes } from './oidc.routes.ts';
import { overrideRoutes } from './override.routes.ts';
import { openApiRoutes, recordRoutes } from './openapi.ts';
import { runRoutes } from './run.routes.ts';
import { savingsRoutes } from './savings.routes.ts';
import { enableStateBackendMethods, stateBackendRoutes } from './state-backend.routes.ts';
import { stateRoutes } from './state.routes.ts';
import { templateRoutes } from './template.routes.ts';
import { tokenRoutes } from './token.routes.ts';
import { userRoutes } from './user.routes.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { variablesRoutes } from './variables.routes.ts';
import { workspaceRoutes } from './workspace.routes.ts';

export function buildApp(deps: ApiDeps): FastifyInstance {
  // Widened to Fastify's logger type so the instance keeps the default type parameters plugins expect.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT_BYTES,
    // `/workspaces/` and `/workspaces` are the same list; a missing slash is no reason for a 404.
    routerOptions: { ignoreTrailingSlash: true },
    // A caller's valid X-Request-Id is kept, else one is generated; logged as request_id.
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: REQUEST_ID_LOG_LABEL }),
    // request.ip comes from X-Forwarded-For only through the proxies TIDE_TRUST_PROXY names.
    trustProxy: trustProxyOption(deps.auth.trustProxy),
  });
  // Before any route exists, so the OpenAPI document sees every one.
  const routes = recordRoutes(app);
  enableStateBackendMethods(app);
  // First, so requests that later hooks reject still carry their id and are timed.
  observeHttp(app, deps.metrics);
  registerErrorHandling(app);
  // Early: rejected requests (401, 429) get the headers too, and preflights are answered before
  // authentication, which a browser's preflight never carries.
  registerSecurityHeaders(app, deps.security ?? {});
  // WebSocket upgrades go through every hook below, so a refused one is a plain 401/403/429 and never
  // upgrades. Registered before the rate limits and authentication: its onRequest hook marks upgrade
  // requests, which is how it knows to close the socket after a refusal; a hook that rejected earlier
  // would leave the socket open. And before the routes, which it must see as they are added.
  void app.register(fastifyWebsocket, websocketPluginOptions);
  // Before the routes, so its hooks cover them. Per-IP limits run in onRequest, ahead of authentication;
  // per-principal ones in preHandler, after the auth plugin's onRequest has set the principal.
  if (deps.rateLimiter) void app.register(rateLimitPlugin, { limiter: deps.rateLimiter, clock: deps.clock });
  // Before the routes: every route's permission is enforced by its hooks (src/http/auth.plugin.ts).
  void app.register(authPlugin, { db: deps.db, clock: deps.clock, audit: deps.audit, settings: deps.auth });
  void app.register(healthRoutes, { prefix: '/api/health', deps });
  if (deps.metrics) void app.register(metricsRoutes, { metrics: deps.metrics });
  void app.register(workspaceRoutes, { prefix: '/api/v1', deps });
  void app.register(runRoutes, { prefix: '/api/v1', deps });
  void app.register(jobRoutes, { prefix: '/api/v1', deps });
  void app.register(eventsRoutes, { prefix: '/api/v1', deps });
  void app.register(variablesRoutes, { prefix: '/api/v1', deps });
  void app.register(stateRoutes, {
    prefix: '/api/v1',
    deps: { state: deps.state.history, audit: deps.audit },
  });
  void app.register(stateBackendRoutes, { prefix: '/api/v1', backend: deps.state.backend });
  void app.register(openApiRoutes, { prefix: '/api/v1', routes, version: tideVersion });
  void app.register(auditRoutes, { prefix: '/api/v1', deps });
  void app.register(templateRoutes, { prefix: '/api/v1', deps });
  void app.register(environmentRoutes, { prefix: '/api/v1', deps });
  void app.register(savingsRoutes, { prefix: '/api/v1', deps });
  void app.register(overrideRoutes, { prefix: '/api/v1', deps });
  if (deps.notifications && deps.globalSecrets)
    void app.register(notificationRoutes, {
      prefix: '/api/v1',
      deps: { ...deps, notifications: deps.notifications, globalSecrets: deps.globalSecrets },
    });
  const auth: AuthDeps = {
    db: deps.db,
    clock: deps.clock,
    audit: deps.audit,
    logger: deps.logger,
    settings: deps.auth,
    metrics: deps.metrics,
  };
  void app.register(authRoutes, { prefix: '/api/v1', auth });
  void app.register(oidcRoutes, { prefix: '/api/v1', auth, oidc: deps.oidc ?? null });
  void app.register(userRoutes, { prefix: '/api/v1', auth });
  void app.register(tokenRoutes, { prefix: '/api/v1', auth });
  // Its fallback route `/*` answers only what no route above does; /api and /metrics stay JSON 404s.
  void app.register(dashboardRoutes, {
    ...(deps.dashboardDir === undefined ? {} : { assetsDir: deps.dashboardDir }),
    publicUrl: deps.security?.publicUrl ?? null,
    oidcEnabled: Boolean(deps.oidc),
  });
  return app;
}
