/**
 * `/api/v1/workspaces…` (SPEC §6). Every route validates the name in the path before anything else, so
 * a malformed or traversal-looking name is a 400 that never reaches the config or the store.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { toRunView } from '../run/run-view.ts';
import { listFirings } from '../schedule/firing.repo.ts';
import { WorkspaceService, type RunRequestAction } from '../workspace/workspace.service.ts';
import type { ApiDeps } from './api-deps.ts';
import {
  deployBody,
  emptyBody,
  pageQuery,
  parseRequest,
  scheduleQuery,
  workspaceListQuery,
  workspaceParams,
} from './api-schemas.ts';

const runActions: readonly RunRequestAction[] = ['deploy', 'destroy', 'plan'];

function workspaceName(request: FastifyRequest): string {
  return parseRequest(workspaceParams, request.params, 'params').name;
}

/** Only a deploy takes a body (`{mode?}`); the others take none or `{}`. */
function requestedMode(action: RunRequestAction, body: unknown): string | undefined {
  if (action === 'deploy') return parseRequest(deployBody, body, 'body').mode;
  parseRequest(emptyBody, body, 'body');
  return undefined;
}

export const workspaceRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const workspaces = new WorkspaceService(deps);

  app.get('/workspaces', async (request) => {
    const query = parseRequest(workspaceListQuery, request.query, 'query');
    return workspaces.list(query);
  });

  app.get('/workspaces/:name', async (request) => workspaces.get(workspaceName(request)));

  for (const action of runActions) {
    // 202: the run is queued; its progress is at /api/v1/runs/{id} and its log at /runs/{id}/logs.
    app.post(`/workspaces/:name/${action}`, async (request, reply) => {
      const name = workspaceName(request);
      const mode = requestedMode(action, request.body);
      const run = await workspaces.requestRun(name, action, mode);
      return reply.code(202).send(toRunView(run));
    });
  }

  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post(`/workspaces/:name/${action}`, async (request) => {
      const name = workspaceName(request);
      parseRequest(emptyBody, request.body, 'body');
      return workspaces.setEnabled(name, enabled);
    });
  }

  app.get('/workspaces/:name/schedule', async (request) => {
    const name = workspaceName(request);
    const query = parseRequest(scheduleQuery, request.query, 'query');
    return workspaces.schedule(name, query);
  });

  app.get('/workspaces/:name/firings', async (request) => {
    const name = workspaceName(request);
    const query = parseRequest(pageQuery, request.query, 'query');
    workspaces.assertKnown(name);
    return listFirings(deps.db, { workspace: name, limit: query.limit, cursor: query.cursor ?? null });
  });
};
