/** `/api/v1/runs…` (SPEC §6): list, read, follow the log, cancel. */
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { assertWorkspaceAccess, principalOf, scopeOf } from '../http/auth.plugin.ts';
import { globToLike } from '../auth/workspace-scope.ts';
import { EXPENSIVE_READ_RATE_LIMIT } from '../http/rate-limit.plugin.ts';
import { toRunView } from '../run/run-view.ts';
import type { Run } from '../run/run.ts';
import { DependencyService } from '../workspace-dependency/dependency.service.ts';
import type { ApiDeps } from './api-deps.ts';
import { emptyBody, logQuery, parseRequest, runListQuery, runParams } from './api-schemas.ts';
import { streamRunLog, toLogChunkView, type StreamFormat } from './log-stream.ts';
import { audited } from './request-audit.ts';
import { routeConfig } from './route-config.ts';
import { pageOf } from './api-responses.ts';
import { runViewSchema } from '../run/run-view.schema.ts';

function runId(request: FastifyRequest): string {
  return parseRequest(runParams, request.params, 'params').id;
}

/** The run named in the path, if the caller may see its workspace (403 otherwise, 404 if there is none). */
async function requireVisibleRun(runs: ApiDeps['runs'], request: FastifyRequest): Promise<Run> {
  const run = await runs.get(runId(request));
  assertWorkspaceAccess(request, run.workspace);
  return run;
}

export const runRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  // Followed logs last as long as their runs; on shutdown they end, or closing would wait for every run.
  const openStreams = new Set<Readable>();
  app.addHook('preClose', async () => {
    for (const stream of openStreams) stream.destroy();
  });

  const listConfig = routeConfig({
    permission: 'read',
    summary: 'List runs, newest first, by workspace, state and trigger',
    schemas: { querystring: runListQuery, response: { status: 200, schema: pageOf(runViewSchema) } },
  });
  app.get('/runs', { config: listConfig }, async (request) => {
    const query = parseRequest(runListQuery, request.query, 'query');
    const scope = scopeOf(request);
    const workspaceLike = scope.sets.map((set) => set.map(globToLike));
    const page = await deps.runs.list({ ...query, workspaceLike, cursor: query.cursor ?? null });
    return { items: page.items.map(toRunView), next_cursor: page.next_cursor };
  });

  const getConfig = routeConfig({
    permission: 'read',
    summary: 'One run',
    schemas: { params: runParams, response: { status: 200, schema: runViewSchema } },
  });
  app.get('/runs/:id', { config: getConfig }, async (request) =>
    toRunView(await requireVisibleRun(deps.runs, request)),
  );

  // The chain a run is part of (decision 022), limited to the workspaces the caller may see.
  const dependencies = new DependencyService({ db: deps.db });
  const dependenciesConfig = routeConfig({
    permission: 'read',
    summary: 'The runs a run waits for (its dependency chain) and the runs waiting for it',
    schemas: { params: runParams },
  });
  app.get('/runs/:id/dependencies', { config: dependenciesConfig }, async (request) => {
    const run = await requireVisibleRun(deps.runs, request);
    const chain = await dependencies.runDependencies(run.id);
    const visible = (view: { workspace: string }) => scopeOf(request).allows(view.workspace);
    return {
      ...chain,
      waits_for: chain.waits_for.filter(visible),
      needed_by: chain.needed_by.filter(visible),
    };
  });

  // 202: a running run is only asked to stop; the runner finishes the job and records `canceled`.
  const cancelConfig = routeConfig({
    permission: 'operate',
    summary: 'Cancel a queued or running run (202)',
    schemas: { params: runParams, body: emptyBody },
  });
  app.post('/runs/:id/cancel', { config: cancelConfig }, async (request, reply) => {
    const id = runId(request);
    const run = await audited(
      deps.audit,
      request,
      { action: 'run.cancel', target: `run:${id}` },
      async () => {
        parseRequest(emptyBody, request.body, 'body');
        await requireVisibleRun(deps.runs, request);
        return deps.runs.cancel(id, principalOf(request).name);
      },
    );
    return reply.code(202).send(toRunView(run));
  });

  // A streamed log reads the whole log, a followed one listens until the run ends: an expensive read.
  const logsConfig = routeConfig({
    permission: 'read',
    summary: "A run's log: one page of chunks, or followed as text or NDJSON",
    schemas: { params: runParams, querystring: logQuery },
    rateLimit: EXPENSIVE_READ_RATE_LIMIT,
  });
  app.get('/runs/:id/logs', { config: logsConfig }, async (request, reply) => {
    const id = runId(request);
    const query = parseRequest(logQuery, request.query, 'query');
    await requireVisibleRun(deps.runs, request);
    const format = query.format ?? (query.follow ? 'text' : 'json');
    if (format === 'json') {
      const page = await deps.runs.logPage(id, query.limit, query.cursor);
      return { items: page.items.map(toLogChunkView), next_cursor: page.next_cursor };
    }
    const stream = streamRunLog(deps, id, { format, follow: query.follow });
    openStreams.add(stream);
    stream.once('close', () => openStreams.delete(stream));
    sendStream(reply, stream, format);
  });
};

/**
 * Sends the headers at once, then the stream. Fastify would hold the headers back until the first byte,
 * which leaves a follower of a quiet run without even a status; so this reply is taken over (hijacked)
 * and piped by hand.
 */
function sendStream(reply: FastifyReply, stream: Readable, format: StreamFormat): void {
  reply.hijack();
  const response = reply.raw;
  response.writeHead(200, {
    'content-type': format === 'ndjson' ? 'application/x-ndjson' : 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    // Tells proxies such as nginx not to buffer, so followed lines arrive as they are written.
    'x-accel-buffering': 'no',
  });
  response.flushHeaders();
  stream.pipe(response);
  // The client went away: destroying the stream makes it stop listening to the hub.
  response.once('close', () => stream.destroy());
  // Reading the store failed: cut the response, so the client cannot take it for the end of the log.
  stream.once('error', () => response.destroy());
  // Closed without an error (the server is shutting down): end the response cleanly.
  stream.once('close', () => {
    if (!response.writableEnded && !response.destroyed) response.end();
  });
}
