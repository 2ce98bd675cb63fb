/**
 * `/api/v1/workspaces…` (SPEC §6). Every route validates the name in the path before anything else, so
 * a malformed or traversal-looking name is a 400 that never reaches the config or the store.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { principalOf, scopeOf } from '../http/auth.plugin.ts';
import { EXPENSIVE_READ_RATE_LIMIT } from '../http/rate-limit.plugin.ts';
import { toRunView } from '../run/run-view.ts';
import { WorkspaceService, type RunRequestAction } from '../workspace-service/workspace.service.ts';
import { describeChain } from '../workspace-dependency/dependency-chain.ts';
import type { ApiDeps } from './api-deps.ts';
import {
  deployBody,
  destroyBody,
  emptyBody,
  pageQuery,
  parseRequest,
  scheduleQuery,
  workspaceListQuery,
  workspaceParams,
} from './api-schemas.ts';
import { audited } from './request-audit.ts';
import { routeConfig } from './route-config.ts';
import { pageOf } from './api-responses.ts';
import { workspaceViewSchema } from '../workspace-service/workspace-view.schema.ts';
import { ledgerFiringSchema, scheduleViewSchema } from '../workspace-service/schedule-view.schema.ts';
import { durationOr } from '../time/duration.ts';

const runActions: readonly RunRequestAction[] = ['deploy', 'destroy', 'plan'];

function workspaceName(request: FastifyRequest): string {
  return parseRequest(workspaceParams, request.params, 'params').name;
}

/** A deploy takes `{mode?, with_dependencies?, ttl?}`, a destroy `{with_dependents?}`; a plan none or `{}`. */
function runRequest(
  action: RunRequestAction,
  body: unknown,
): { mode?: string; withDependencies?: boolean; withDependents?: boolean; ttlMs?: number } {
  if (action === 'deploy') {
    const { mode, with_dependencies, ttl } = parseRequest(deployBody, body, 'body');
    return {
      ...(mode === undefined ? {} : { mode }),
      withDependencies: with_dependencies ?? false,
      ...(ttl === undefined ? {} : { ttlMs: durationOr(ttl, 0) }),
    };
  }
  if (action === 'destroy') {
    return { withDependents: parseRequest(destroyBody, body, 'body').with_dependents ?? false };
  }
  parseRequest(emptyBody, body, 'body');
  return {};
}

const bodyOf = { deploy: deployBody, destroy: destroyBody, plan: emptyBody } as const;

export const workspaceRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const workspaces = new WorkspaceService(deps);

  // Each route declares the schemas it validates with: the OpenAPI document is generated from them.
  const params = workspaceParams;
  const listConfig = routeConfig({
    permission: 'read',
    summary: 'List workspaces with status, mode and next firings',
    schemas: {
      querystring: workspaceListQuery,
      response: { status: 200, schema: pageOf(workspaceViewSchema) },
    },
  });
  app.get('/workspaces', { config: listConfig }, async (request) => {
    const query = parseRequest(workspaceListQuery, request.query, 'query');
    return workspaces.list({ ...query, visible: (name) => scopeOf(request).allows(name) });
  });

  const getConfig = routeConfig({
    permission: 'read',
    workspaceParam: 'name',
    summary: 'One workspace',
    schemas: { params, response: { status: 200, schema: workspaceViewSchema } },
  });
  app.get('/workspaces/:name', { config: getConfig }, async (request) =>
    workspaces.get(workspaceName(request)),
  );

  for (const action of runActions) {
    // 202: the run is queued; its progress is at /api/v1/runs/{id} and its log at /runs/{id}/logs.
    const config = routeConfig({
      permission: 'operate',
      workspaceParam: 'name',
      summary: `Queue a ${action} run (202 with the run and the runs of its dependency chain)`,
      schemas: { params, body: bodyOf[action] },
    });
    app.post(`/workspaces/:name/${action}`, { config }, async (request, reply) => {
      const name = workspaceName(request);
      const queued = await audited(
        deps.audit,
        request,
        {
          action: `workspace.${action}`,
          target: `workspace:${name}`,
          detailsOf: ({ run, queued: chain }) => ({
            run_id: run.id,
            mode: run.mode,
            ...(run.ttl_seconds === null ? {} : { ttl_seconds: run.ttl_seconds }),
            ...(chain.length > 0 ? { dependency_run_ids: chain.map((r) => r.id) } : {}),
          }),
        },
        () =>
          workspaces.requestRunWithChain(name, action, {
            ...runRequest(action, request.body),
            actor: principalOf(request).name,
          }),
      );
      return reply.code(202).send({
        ...toRunView(queued.run),
        // The runs queued first for it (trigger `dependency`), in the order they run.
        dependency_runs: queued.queued.map(toRunView),
        dependency_chain: queued.chain ? describeChain(queued.chain) : null,
      });
    });
  }

  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    const config = routeConfig({
      permission: 'operate',
      workspaceParam: 'name',
      summary: `${enabled ? 'Enable' : 'Disable'} the workspace's schedules (overrides the config file)`,
      schemas: { params, body: emptyBody },
    });
    app.post(`/workspaces/:name/${action}`, { config }, async (request) => {
      const name = workspaceName(request);
      return audited(
        deps.audit,
        request,
        { action: `workspace.${action}`, target: `workspace:${name}` },
        () => {
          parseRequest(emptyBody, request.body, 'body');
          return workspaces.setEnabled(name, enabled);
        },
      );
    });
  }

  // Its cost grows with days and schedules (bounded by MAX_PREVIEW_DAYS and the output limits).
  const scheduleConfig = routeConfig({
    permission: 'read',
    workspaceParam: 'name',
    summary: 'Next firings and the timeline of windows, firings and runs',
    schemas: {
      params,
      querystring: scheduleQuery,
      response: { status: 200, schema: scheduleViewSchema },
    },
    rateLimit: EXPENSIVE_READ_RATE_LIMIT,
  });
  app.get('/workspaces/:name/schedule', { config: scheduleConfig }, async (request) => {
    const name = workspaceName(request);
    const query = parseRequest(scheduleQuery, request.query, 'query');
    return workspaces.schedule(name, query);
  });

  const firingsConfig = routeConfig({
    permission: 'read',
    workspaceParam: 'name',
    summary: "The workspace's firing ledger, newest first",
    schemas: {
      params,
      querystring: pageQuery,
      response: { status: 200, schema: pageOf(ledgerFiringSchema) },
    },
  });
  app.get('/workspaces/:name/firings', { config: firingsConfig }, async (request) => {
    const name = workspaceName(request);
    const query = parseRequest(pageQuery, request.query, 'query');
    return workspaces.firings(name, { limit: query.limit, cursor: query.cursor ?? null });
  });
};
