/**
 * `/api/v1/tokens…` (SPEC §6): API tokens of the caller's user (an admin sees and revokes everyone's;
 * an API token only those within its own role and patterns: api-token.service.ts). The secret is in the
 * creation answer only; it is stored hashed and cannot be shown again.
 */
import type { FastifyPluginAsync } from 'fastify';
import { ApiTokenService } from '../auth/api-token.service.ts';
import { actingOf, principalOf } from '../http/auth.plugin.ts';
import type { AuthDeps } from '../auth/auth-settings.ts';
import { createTokenBody, tokenParams } from '../auth/auth.schemas.ts';
import { apiTokenViewSchema, createdTokenSchema } from '../auth/auth-views.schema.ts';
import { parseRequest } from './api-schemas.ts';
import { noStore } from './auth.routes.ts';
import { pageOf } from './api-responses.ts';
import { routeConfig } from './route-config.ts';

export const tokenRoutes: FastifyPluginAsync<{ auth: AuthDeps }> = async (app, { auth }) => {
  noStore(app);
  const tokens = new ApiTokenService(auth);

  const listConfig = routeConfig({
    permission: 'self',
    summary: 'Your API tokens (an admin: everyone’s), newest first',
    schemas: { response: { status: 200, schema: pageOf(apiTokenViewSchema) } },
  });
  app.get('/tokens', { config: listConfig }, async (request) => ({
    items: await tokens.list(principalOf(request)),
    next_cursor: null,
  }));

  const createConfig = routeConfig({
    permission: 'self',
    summary: 'Create an API token (role at most yours, patterns inside yours); the secret is shown once',
    schemas: { body: createTokenBody, response: { status: 201, schema: createdTokenSchema } },
  });
  app.post('/tokens', { config: createConfig }, async (request, reply) => {
    const body = parseRequest(createTokenBody, request.body, 'body');
    const created = await tokens.create(
      principalOf(request),
      { name: body.name, role: body.role, workspaces: body.workspaces, expiresInMs: body.expires_in },
      actingOf(request),
    );
    return reply.code(201).send(created);
  });

  const revokeConfig = routeConfig({
    permission: 'self',
    summary: 'Revoke an API token; the next request with it is refused',
    schemas: { params: tokenParams },
  });
  app.delete('/tokens/:id', { config: revokeConfig }, async (request, reply) => {
    const { id } = parseRequest(tokenParams, request.params, 'params');
    await tokens.revoke(principalOf(request), id, actingOf(request));
    return reply.code(204).send();
  });
};
