/**
 * `/api/v1/workspaces/{name}/overrides` (docs/overrides.md): list, add and remove a workspace's overrides.
 * Adding and removing are operator actions, audited as `override.add` / `override.remove`.
 */
import type { FastifyPluginAsync } from 'fastify';
import { principalOf } from '../http/auth.plugin.ts';
import { toOverrideView } from '../workspace/override.ts';
import { OverrideService } from '../workspace/override.service.ts';
import type { ApiDeps } from './api-deps.ts';
import {
  overrideBody,
  overrideListQuery,
  overrideParams,
  parseRequest,
  workspaceParams,
} from './api-schemas.ts';
import { audited } from './request-audit.ts';
import { routeConfig } from './route-config.ts';
import { itemsOf } from './api-responses.ts';
import { overrideViewSchema } from '../workspace/override-view.schema.ts';

type OverrideDeps = Pick<ApiDeps, 'db' | 'clock' | 'config' | 'audit' | 'overrideMaxMs'>;

export const overrideRoutes: FastifyPluginAsync<{ deps: OverrideDeps }> = async (app, { deps }) => {
  const overrides = new OverrideService({
    db: deps.db,
    clock: deps.clock,
    config: deps.config,
    ...(deps.overrideMaxMs === undefined ? {} : { maxMs: deps.overrideMaxMs }),
  });

  app.get(
    '/workspaces/:name/overrides',
    {
      config: routeConfig({
        permission: 'read',
        workspaceParam: 'name',
        summary: "A workspace's overrides in force (with history=true, also the ended ones)",
        schemas: {
          params: workspaceParams,
          querystring: overrideListQuery,
          response: { status: 200, schema: itemsOf(overrideViewSchema) },
        },
      }),
    },
    async (request) => {
      const { name } = parseRequest(workspaceParams, request.params, 'params');
      const { history } = parseRequest(overrideListQuery, request.query, 'query');
      const now = deps.clock.now();
      const items = await overrides.list(name, { history: history ?? false });
      return { items: items.map((override) => toOverrideView(override, now)) };
    },
  );

  app.post(
    '/workspaces/:name/overrides',
    {
      config: routeConfig({
        permission: 'operate',
        workspaceParam: 'name',
        summary: 'Add an override: keep_up_until, keep_down_until, skip_next or pause_until',
        schemas: { params: workspaceParams, body: overrideBody },
      }),
    },
    async (request, reply) => {
      const { name } = parseRequest(workspaceParams, request.params, 'params');
      const added = await audited(
        deps.audit,
        request,
        {
          action: 'override.add',
          target: `workspace:${name}`,
          detailsOf: (override) => ({
            override_id: override.id,
            kind: override.kind,
            ...(override.action ? { action: override.action } : {}),
            ends_at: override.ends_at.toISOString(),
          }),
        },
        () => {
          const body = parseRequest(overrideBody, request.body, 'body');
          return overrides.add(
            name,
            {
              kind: body.kind,
              ...(body.until === undefined ? {} : { until: body.until }),
              ...(body.for === undefined ? {} : { forMs: body.for }),
              ...(body.action === undefined ? {} : { action: body.action }),
              ...(body.reason === undefined ? {} : { reason: body.reason }),
            },
            principalOf(request).name,
          );
        },
      );
      return reply.code(201).send(toOverrideView(added, deps.clock.now()));
    },
  );

  app.delete(
    '/workspaces/:name/overrides/:id',
    {
      config: routeConfig({
        permission: 'operate',
        workspaceParam: 'name',
        summary: 'End an override now',
        schemas: { params: overrideParams },
      }),
    },
    async (request) => {
      const { name, id } = parseRequest(overrideParams, request.params, 'params');
      const removed = await audited(
        deps.audit,
        request,
        { action: 'override.remove', target: `workspace:${name}`, details: { override_id: id } },
        () => overrides.remove(name, id, principalOf(request).name),
      );
      return toOverrideView(removed, deps.clock.now());
    },
  );
};
