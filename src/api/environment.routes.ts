/**
 * `/api/v1/environments…` (SPEC §6, docs/environments.md): list, show (with the latest switches), and
 * switch an environment to a workspace (operators; audited, refused or failed switches too). A switch is
 * answered when it is over (health checks and actions included) with the recorded switch; a refusal by the
 * health check is `health_check_failed`, a failed action `switch_failed`, each with the switch in
 * `details.switch`.
 */
import { switchAnnouncer } from '../notification/run-notifications.ts';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { nameSchema } from '../config/common.schema.ts';
import { outputsFromState } from '../environment/environment-targets.ts';
import { EnvironmentService } from '../environment/environment.service.ts';
import {
  environmentDetailSchema,
  environmentViewSchema,
  switchViewSchema,
} from '../environment/environment-view.schema.ts';
import { toTideError } from '../errors/tide-error.ts';
import { assertWorkspaceAccess } from '../http/auth.plugin.ts';
import { requestActor } from '../http/request-principal.ts';
import type { ApiDeps } from './api-deps.ts';
import { parseRequest } from './api-schemas.ts';
import { audited } from './request-audit.ts';
import { pageOf } from './api-responses.ts';
import { routeConfig } from './route-config.ts';

const environmentParams = z.strictObject({ name: nameSchema });
const environmentQuery = z.strictObject({
  switches: z.coerce
    .number()
    .int()
    .min(0)
    .max(100)
    .optional()
    .describe('How many recent switches (default 10).'),
});
const switchBody = z.strictObject({
  workspace: nameSchema.describe('The workspace to point the environment at.'),
});

export const environmentRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const environments = new EnvironmentService({
    db: deps.db,
    clock: deps.clock,
    config: () => deps.config(),
    ...(deps.runBaseEnv ? { baseEnv: deps.runBaseEnv } : {}),
    ...(deps.environmentTemplates ? { templateAction: deps.environmentTemplates } : {}),
    ...(deps.notifications && { announceSwitch: switchAnnouncer(deps.notifications.notify) }),
    // A workspace adopted from the Provisioner has state in Tide but no deploy run that recorded outputs.
    stateOutputs: async (workspace) => {
      try {
        return outputsFromState((await deps.state.history.pull(workspace)).content);
      } catch (error) {
        if (toTideError(error).code === 'not_found') return null;
        throw error;
      }
    },
  });

  app.get(
    '/environments',
    {
      config: routeConfig({
        permission: 'read',
        summary: 'List environments with their assigned workspace',
        schemas: { response: { status: 200, schema: pageOf(environmentViewSchema) } },
      }),
    },
    async () => ({ items: await environments.list(), next_cursor: null }),
  );

  app.get(
    '/environments/:name',
    {
      config: routeConfig({
        permission: 'read',
        summary: 'One environment, its assignment and its latest switches',
        schemas: {
          params: environmentParams,
          querystring: environmentQuery,
          response: { status: 200, schema: environmentDetailSchema },
        },
      }),
    },
    async (request) => {
      const { name } = parseRequest(environmentParams, request.params, 'params');
      const { switches } = parseRequest(environmentQuery, request.query, 'query');
      return environments.get(name, switches);
    },
  );

  app.post(
    '/environments/:name/switch',
    {
      config: routeConfig({
        permission: 'operate',
        summary:
          'Point an environment at a deployed workspace: health check, switch action, restore on failure (audited)',
        schemas: {
          params: environmentParams,
          body: switchBody,
          response: { status: 200, schema: switchViewSchema },
        },
      }),
    },
    async (request) => {
      const { name } = parseRequest(environmentParams, request.params, 'params');
      const { workspace } = parseRequest(switchBody, request.body, 'body');
      const what = { action: 'environment.switch', target: `environment:${name}`, details: { workspace } };
      return audited(
        deps.audit,
        request,
        {
          ...what,
          detailsOf: (view) => ({
            result: view.result,
            from_workspace: view.from_workspace,
            switch_id: view.id,
          }),
        },
        async () => {
          // Both ends are acted on: the workspace taken off the environment too.
          assertWorkspaceAccess(request, workspace);
          const current = (await environments.get(name, 0)).assigned_workspace;
          if (current !== null) assertWorkspaceAccess(request, current);
          return environments.switch(name, workspace, requestActor(request));
        },
      );
    },
  );
};
