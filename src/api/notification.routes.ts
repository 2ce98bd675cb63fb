/**
 * `/api/v1/notifications` and `/api/v1/secrets` (docs/notifications.md). The delivery log is for
 * operators and admins, limited to the workspaces they may see (cluster-wide events, such as a failed
 * backup, only to principals without a workspace restriction): it names targets and receivers' answers,
 * which viewers have no need for. A test send and global secrets are admin-only and audited; a secret's
 * value goes in and never comes back out.
 */
import type { FastifyPluginAsync } from 'fastify';
import { scopeOf } from '../http/auth.plugin.ts';
import type { Notifications } from '../notification/notifications.ts';
import type { GlobalSecrets } from '../secrets/global-secrets.ts';
import type { ApiDeps } from './api-deps.ts';
import {
  deliveryListQuery,
  globalSecretBody,
  globalSecretParams,
  notificationTestBody,
  parseRequest,
} from './api-schemas.ts';
import { audited } from './request-audit.ts';
import { routeConfig } from './route-config.ts';
import { pageOf } from './api-responses.ts';
import { deliveryViewSchema } from '../notification/delivery-view.schema.ts';

export type NotificationRouteDeps = Pick<ApiDeps, 'audit'> & {
  readonly notifications: Pick<Notifications, 'test' | 'deliveries'>;
  readonly globalSecrets: Pick<GlobalSecrets, 'list' | 'set' | 'remove'>;
};

export const notificationRoutes: FastifyPluginAsync<{ deps: NotificationRouteDeps }> = async (
  app,
  { deps },
) => {
  app.get(
    '/notifications/deliveries',
    {
      config: routeConfig({
        permission: 'operate',
        summary: 'The notification delivery log, newest first: one entry per attempt',
        schemas: {
          querystring: deliveryListQuery,
          response: { status: 200, schema: pageOf(deliveryViewSchema) },
        },
      }),
    },
    async (request) => {
      const query = parseRequest(deliveryListQuery, request.query, 'query');
      const scope = scopeOf(request);
      return deps.notifications.deliveries({
        limit: query.limit,
        ...(query.cursor !== undefined && { cursor: query.cursor }),
        ...(query.workspace !== undefined && { workspace: query.workspace }),
        ...(query.event !== undefined && { event: query.event }),
        ...(query.status !== undefined && { outcome: query.status }),
        ...(!scope.unrestricted && { workspaces: (name: string) => scope.allows(name) }),
      });
    },
  );

  app.post(
    '/notifications/test',
    {
      config: routeConfig({
        permission: 'admin',
        summary: 'Send a test notification to a target now; answers with the delivery result',
        schemas: { body: notificationTestBody },
      }),
    },
    async (request) => {
      const { target } = parseRequest(notificationTestBody, request.body, 'body');
      const what = {
        action: 'notification.test',
        target: `notification-target:${target}`,
        detailsOf: (result: { ok: boolean; statusCode: number | null }) => ({
          ok: result.ok,
          status_code: result.statusCode,
        }),
      };
      const result = await audited(deps.audit, request, what, () => deps.notifications.test(target));
      return {
        target: result.target,
        ok: result.ok,
        status_code: result.statusCode,
        error: result.error,
        duration_ms: result.duration_ms,
      };
    },
  );

  app.get(
    '/secrets',
    { config: routeConfig({ permission: 'admin', summary: 'Names of the global secrets (never values)' }) },
    async () => ({ items: await deps.globalSecrets.list(), next_cursor: null }),
  );

  app.put(
    '/secrets/:name',
    {
      config: routeConfig({
        permission: 'admin',
        summary: 'Set a global secret (webhook key, Slack/Teams URL, SMTP password); never shown again',
        schemas: { params: globalSecretParams, body: globalSecretBody },
      }),
    },
    async (request, reply) => {
      const { name } = parseRequest(globalSecretParams, request.params, 'params');
      const { value } = parseRequest(globalSecretBody, request.body, 'body');
      await audited(deps.audit, request, { action: 'secret.set', target: `secret:${name}` }, () =>
        deps.globalSecrets.set(name, value),
      );
      return reply.code(204).send();
    },
  );

  app.delete(
    '/secrets/:name',
    {
      config: routeConfig({
        permission: 'admin',
        summary: 'Delete a global secret',
        schemas: { params: globalSecretParams },
      }),
    },
    async (request, reply) => {
      const { name } = parseRequest(globalSecretParams, request.params, 'params');
      await audited(deps.audit, request, { action: 'secret.remove', target: `secret:${name}` }, () =>
        deps.globalSecrets.remove(name),
      );
      return reply.code(204).send();
    },
  );
};
