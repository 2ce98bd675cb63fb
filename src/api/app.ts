/**
 * The HTTP API as a function of its dependencies (STYLE habit 11): no listening here, the daemon does
 * that; tests call `inject()`. Each domain adds its routes as a plugin; errors of every route go
 * through the one handler in error-handler.ts.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiDeps } from './api-deps.ts';
import { BODY_LIMIT_BYTES } from './api-schemas.ts';
import { registerErrorHandling } from './error-handler.ts';
import { healthRoutes } from './health.routes.ts';
import { runRoutes } from './run.routes.ts';
import { workspaceRoutes } from './workspace.routes.ts';

export function buildApp(deps: ApiDeps): FastifyInstance {
  // Widened to Fastify's logger type so the instance keeps the default type parameters plugins expect.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: BODY_LIMIT_BYTES,
    // `/workspaces/` and `/workspaces` are the same list; a missing slash is no reason for a 404.
    routerOptions: { ignoreTrailingSlash: true },
  });
  registerErrorHandling(app);
  void app.register(healthRoutes, { prefix: '/api/health', deps });
  void app.register(workspaceRoutes, { prefix: '/api/v1', deps });
  void app.register(runRoutes, { prefix: '/api/v1', deps });
  return app;
}
