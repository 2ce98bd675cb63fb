/** `/api/v1/jobs…` (SPEC §6, docs/jobs.md): list, read, run by hand. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { assertWorkspaceAccess, principalOf, scopeOf } from '../http/auth.plugin.ts';
import { accessWorkspaceOf, JobService } from '../job/job.service.ts';
import { jobViewSchema } from '../job/job-view.schema.ts';
import { toRunView } from '../run/run-view.ts';
import type { ApiDeps } from './api-deps.ts';
import { emptyBody, jobParams, parseRequest } from './api-schemas.ts';
import { audited } from './request-audit.ts';
import { pageOf } from './api-responses.ts';
import { routeConfig } from './route-config.ts';

function jobIdOf(request: FastifyRequest): string {
  return parseRequest(jobParams, request.params, 'params').id;
}

export const jobRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const jobs = new JobService(deps);

  /** The job named in the path, if the caller may see its workspace (403 otherwise, 404 if there is none). */
  const visibleJob = (request: FastifyRequest) => {
    const id = jobIdOf(request);
    const job = jobs.find(id);
    assertWorkspaceAccess(request, accessWorkspaceOf(job));
    return id;
  };

  const listConfig = routeConfig({
    permission: 'read',
    summary: 'List jobs (workspace and standalone) with their triggers and last run',
    schemas: { response: { status: 200, schema: pageOf(jobViewSchema) } },
  });
  app.get('/jobs', { config: listConfig }, async (request) => {
    const scope = scopeOf(request);
    return { items: await jobs.list((workspace) => scope.allows(workspace)), next_cursor: null };
  });

  const getConfig = routeConfig({
    permission: 'read',
    summary: 'One job',
    schemas: { params: jobParams, response: { status: 200, schema: jobViewSchema } },
  });
  app.get('/jobs/:id', { config: getConfig }, async (request) => jobs.get(visibleJob(request)));

  // 202: the job is queued, with the jobs that depend on it; the run is at /api/v1/runs/{id}.
  const runConfig = routeConfig({
    permission: 'operate',
    summary: 'Run a job now, with the jobs that depend on it (202 with the run)',
    schemas: { params: jobParams, body: emptyBody },
  });
  app.post('/jobs/:id/run', { config: runConfig }, async (request, reply) => {
    const id = jobIdOf(request);
    const { run } = await audited(
      deps.audit,
      request,
      {
        action: 'job.run',
        target: `job:${id}`,
        detailsOf: (queued) => ({ run_id: queued.run.id, chain: queued.chain.map((each) => each.id) }),
      },
      async () => {
        parseRequest(emptyBody, request.body ?? {}, 'body');
        visibleJob(request);
        return jobs.run(id, principalOf(request).name);
      },
    );
    return reply.code(202).send(toRunView(run));
  });
};
