/**
 * A workspace's state in Tide's backend, for people (SPEC §6): `GET /workspaces/{name}/state` lists its
 * versions (serial, size, which run or who wrote each) and any live lock; the content of a version is for
 * admins only (state holds every attribute of every resource, secrets included); a rollback writes an old
 * version anew on top, admin-only and audited.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AuditRecorder } from '../audit/audit-entry.ts';
import type { StateService } from '../state/state.service.ts';
import {
  parseRequest,
  stateContentQuery,
  stateListQuery,
  stateRollbackBody,
  workspaceParams,
} from './api-schemas.ts';
import { requestActor } from '../http/request-principal.ts';
import { audited } from './request-audit.ts';
import { routeConfig } from './route-config.ts';
import { stateViewSchema } from '../state/state-view.schema.ts';

export interface StateRoutesDeps {
  readonly state: Pick<StateService, 'describe' | 'pull' | 'rollback'>;
  readonly audit: AuditRecorder;
}

export const stateRoutes: FastifyPluginAsync<{ deps: StateRoutesDeps }> = async (app, { deps }) => {
  app.get(
    '/workspaces/:name/state',
    {
      config: routeConfig({
        permission: 'read',
        workspaceParam: 'name',
        summary: "A workspace's state versions, newest first, and its lock",
        schemas: {
          params: workspaceParams,
          querystring: stateListQuery,
          response: { status: 200, schema: stateViewSchema },
        },
      }),
    },
    async (request) => {
      const { name } = parseRequest(workspaceParams, request.params, 'params');
      const { limit } = parseRequest(stateListQuery, request.query, 'query');
      return deps.state.describe(name, limit);
    },
  );

  app.get(
    '/workspaces/:name/state/content',
    {
      config: routeConfig({
        permission: 'admin',
        workspaceParam: 'name',
        summary: 'The content of a state version (the latest without ?serial); admins only',
        schemas: { params: workspaceParams, querystring: stateContentQuery },
      }),
    },
    async (request, reply) => {
      const { name } = parseRequest(workspaceParams, request.params, 'params');
      const { serial } = parseRequest(stateContentQuery, request.query, 'query');
      const { version, content } = await deps.state.pull(name, serial);
      return reply
        .header('cache-control', 'no-store')
        .header('x-tide-state-serial', String(version.serial))
        .type('application/json')
        .send(content);
    },
  );

  app.post(
    '/workspaces/:name/state/rollback',
    {
      config: routeConfig({
        permission: 'admin',
        workspaceParam: 'name',
        summary: 'Write an earlier state version anew as the latest (admins only; audited)',
        schemas: { params: workspaceParams, body: stateRollbackBody },
      }),
    },
    async (request) => {
      const { name } = parseRequest(workspaceParams, request.params, 'params');
      const { serial } = parseRequest(stateRollbackBody, request.body, 'body');
      const what = { action: 'state.rollback', target: `workspace:${name}`, details: { serial } };
      return audited(
        deps.audit,
        request,
        { ...what, detailsOf: (version) => ({ new_serial: version.serial }) },
        () => deps.state.rollback(name, serial, requestActor(request)),
      );
    },
  );
};
