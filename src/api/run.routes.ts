/** `/api/v1/runs…` (SPEC §6): list, read, follow the log, cancel. */
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { TideError } from '../errors/tide-error.ts';
import { readLogChunks } from '../run/run-log.repo.ts';
import { getRun, listRuns } from '../run/run.repo.ts';
import { toRunView } from '../run/run-view.ts';
import type { Run } from '../run/run.ts';
import { decodeCursor, toPage } from '../store/page.ts';
import type { Db } from '../store/schema.ts';
import type { ApiDeps } from './api-deps.ts';
import { emptyBody, logQuery, parseRequest, runListQuery, runParams } from './api-schemas.ts';
import { streamRunLog, toLogChunkView, type StreamFormat } from './log-stream.ts';

function runId(request: FastifyRequest): string {
  return parseRequest(runParams, request.params, 'params').id;
}

async function requireRun(db: Db, id: string): Promise<Run> {
  const run = await getRun(db, id);
  if (!run) throw new TideError('not_found', `run ${id} does not exist`, { details: { run_id: id } });
  return run;
}

export const runRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  // Followed logs last as long as their runs; on shutdown they end, or closing would wait for every run.
  const openStreams = new Set<Readable>();
  app.addHook('preClose', async () => {
    for (const stream of openStreams) stream.destroy();
  });

  app.get('/runs', async (request) => {
    const query = parseRequest(runListQuery, request.query, 'query');
    const page = await listRuns(deps.db, { ...query, cursor: query.cursor ?? null });
    return { items: page.items.map(toRunView), next_cursor: page.next_cursor };
  });

  app.get('/runs/:id', async (request) => toRunView(await requireRun(deps.db, runId(request))));

  // 202: a running run is only asked to stop; the runner finishes the job and records `canceled`.
  app.post('/runs/:id/cancel', async (request, reply) => {
    const id = runId(request);
    parseRequest(emptyBody, request.body, 'body');
    const run = await deps.runs.cancel(id, null);
    return reply.code(202).send(toRunView(run));
  });

  app.get('/runs/:id/logs', async (request, reply) => {
    const id = runId(request);
    const query = parseRequest(logQuery, request.query, 'query');
    await requireRun(deps.db, id);
    const format = query.format ?? (query.follow ? 'text' : 'json');
    if (format === 'json') return logPage(deps.db, id, query.limit, query.cursor);
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

/** One page of stored chunks in seq order; the cursor is bound to the run it came from. */
async function logPage(db: Db, id: string, limit: number, cursor: string | undefined) {
  let afterSeq = 0;
  if (cursor !== undefined) {
    const [cursorRun, seq] = decodeCursor(cursor, 'number');
    if (cursorRun !== id) {
      throw new TideError(
        'invalid_argument',
        'the cursor belongs to another run; pass next_cursor from this run',
      );
    }
    afterSeq = seq;
  }
  const chunks = await readLogChunks(db, id, { afterSeq, limit: limit + 1 });
  const page = toPage(chunks, limit, (chunk) => [id, chunk.seq]);
  return { items: page.items.map(toLogChunkView), next_cursor: page.next_cursor };
}
