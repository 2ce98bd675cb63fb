/** `/api/v1/users…` (SPEC §6), admins only: create, list, read, change, reset a password, unlock. */
import type { FastifyPluginAsync } from 'fastify';
import { actingOf, principalOf } from '../http/auth.plugin.ts';
import type { AuthDeps } from '../auth/auth-settings.ts';
import { createUserBody, resetPasswordBody, updateUserBody, userParams } from '../auth/auth.schemas.ts';
import { toUserView, type User } from '../auth/user.ts';
import { UserService } from '../auth/user.service.ts';
import { userViewSchema } from '../auth/auth-views.schema.ts';
import { parseRequest } from './api-schemas.ts';
import { pageOf } from './api-responses.ts';
import { routeConfig } from './route-config.ts';

export const userRoutes: FastifyPluginAsync<{ auth: AuthDeps }> = async (app, { auth }) => {
  const users = new UserService(auth);
  /** The representation plus whether the account is locked out right now (admins decide on unlocks). */
  const view = async (user: User) => ({
    ...toUserView(user),
    locked_until: await users.lockedUntil(user.username),
  });
  const params = userParams;

  const listConfig = routeConfig({
    permission: 'admin',
    summary: 'List users by name',
    schemas: { response: { status: 200, schema: pageOf(userViewSchema) } },
  });
  app.get('/users', { config: listConfig }, async () => ({
    items: await Promise.all((await users.list()).map(view)),
    next_cursor: null,
  }));

  const createConfig = routeConfig({
    permission: 'admin',
    summary: 'Create a user (the password policy applies)',
    schemas: { body: createUserBody, response: { status: 201, schema: userViewSchema } },
  });
  app.post('/users', { config: createConfig }, async (request, reply) => {
    const body = parseRequest(createUserBody, request.body, 'body');
    const user = await users.create(body, actingOf(request));
    return reply.code(201).send(await view(user));
  });

  const getConfig = routeConfig({
    permission: 'admin',
    summary: 'One user',
    schemas: { params, response: { status: 200, schema: userViewSchema } },
  });
  app.get('/users/:username', { config: getConfig }, async (request) =>
    view(await users.get(parseRequest(params, request.params, 'params').username)),
  );

  const updateConfig = routeConfig({
    permission: 'admin',
    summary: "Change a user's role or workspace patterns, or disable them (ends their sessions)",
    schemas: { params, body: updateUserBody },
  });
  app.patch('/users/:username', { config: updateConfig }, async (request) => {
    const { username } = parseRequest(params, request.params, 'params');
    const body = parseRequest(updateUserBody, request.body, 'body');
    return view(await users.update(username, body, actingOf(request), principalOf(request)));
  });

  const passwordConfig = routeConfig({
    permission: 'admin',
    summary: "Set a user's password (the policy applies; ends their sessions)",
    schemas: { params, body: resetPasswordBody },
  });
  app.post('/users/:username/password', { config: passwordConfig }, async (request, reply) => {
    const { username } = parseRequest(params, request.params, 'params');
    const { password } = parseRequest(resetPasswordBody, request.body, 'body');
    await users.resetPassword(username, password, actingOf(request));
    return reply.code(204).send();
  });

  const unlockConfig = routeConfig({
    permission: 'admin',
    summary: 'Lift a login lockout of the account',
    schemas: { params },
  });
  app.post('/users/:username/unlock', { config: unlockConfig }, async (request, reply) => {
    const { username } = parseRequest(params, request.params, 'params');
    await users.unlock(username, actingOf(request));
    return reply.code(204).send();
  });
};
