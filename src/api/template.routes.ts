/**
 * `/api/v1/templates` (SPEC §6, docs/templates.md): templates from git. Anyone signed in reads the
 * registry; adding, refreshing and removing are for admins (SPEC §7: templates are code every workspace
 * built on them runs) and audited. A credential goes in with `add` and never comes back out.
 */
import type { FastifyPluginAsync } from 'fastify';
import { requestActor } from '../http/request-principal.ts';
import type { TemplateService } from '../template/template.service.ts';
import { templateViewSchema } from '../template/template-view.schema.ts';
import type { ApiDeps } from './api-deps.ts';
import { addTemplateBody, emptyBody, parseRequest, templateParams } from './api-schemas.ts';
import { audited } from './request-audit.ts';
import { pageOf } from './api-responses.ts';
import { routeConfig } from './route-config.ts';

type TemplateDeps = Pick<ApiDeps, 'audit'> & {
  readonly templates: Pick<TemplateService, 'list' | 'get' | 'add' | 'refresh' | 'remove'>;
};

export const templateRoutes: FastifyPluginAsync<{ deps: TemplateDeps }> = async (app, { deps }) => {
  const { templates } = deps;
  const params = templateParams;

  app.get(
    '/templates',
    {
      config: routeConfig({
        permission: 'read',
        summary: 'List templates from git, by name',
        schemas: { response: { status: 200, schema: pageOf(templateViewSchema) } },
      }),
    },
    async () => ({ items: await templates.list(), next_cursor: null }),
  );

  app.post(
    '/templates',
    {
      config: routeConfig({
        permission: 'admin',
        summary: 'Register a template from git, pinned to the commit its ref names now',
        schemas: { body: addTemplateBody, response: { status: 201, schema: templateViewSchema } },
      }),
    },
    async (request, reply) => {
      const body = parseRequest(addTemplateBody, request.body, 'body');
      // Audited without the credential: its name only, and whether one was given.
      const what = {
        action: 'template.add',
        target: `template:${body.name}`,
        details: {
          ref: body.ref ?? 'main',
          subdir: body.subdir ?? '',
          credential: body.credential !== undefined,
          credential_secret: body.credential_secret ?? null,
        },
        detailsOf: (view: { commit: string }) => ({ commit: view.commit }),
      };
      const view = await audited(deps.audit, request, what, () => templates.add(body, requestActor(request)));
      return reply.code(201).send(view);
    },
  );

  app.get(
    '/templates/:name',
    {
      config: routeConfig({
        permission: 'read',
        summary: 'One template: source, pinned commit, content hash, who uses it',
        schemas: { params, response: { status: 200, schema: templateViewSchema } },
      }),
    },
    async (request) => templates.get(parseRequest(params, request.params, 'params').name),
  );

  app.post(
    '/templates/:name/refresh',
    {
      config: routeConfig({
        permission: 'admin',
        summary: 'Resolve the ref again and pin the commit it names now (workspaces on it redeploy)',
        schemas: { params, body: emptyBody.optional() },
      }),
    },
    async (request) => {
      const { name } = parseRequest(params, request.params, 'params');
      const what = {
        action: 'template.refresh',
        target: `template:${name}`,
        detailsOf: (result: { previous_commit: string; template: { commit: string } }) => ({
          previous_commit: result.previous_commit,
          commit: result.template.commit,
        }),
      };
      return audited(deps.audit, request, what, () => templates.refresh(name, requestActor(request)));
    },
  );

  app.delete(
    '/templates/:name',
    {
      config: routeConfig({
        permission: 'admin',
        summary: 'Unregister a template (refused while a workspace or job uses it)',
        schemas: { params },
      }),
    },
    async (request, reply) => {
      const { name } = parseRequest(params, request.params, 'params');
      await audited(deps.audit, request, { action: 'template.remove', target: `template:${name}` }, () =>
        templates.remove(name, requestActor(request)),
      );
      return reply.code(204).send();
    },
  );
};
