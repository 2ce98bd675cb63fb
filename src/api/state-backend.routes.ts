/**
 * `/api/v1/state/{key}` (SPEC §5, §6): the OpenTofu `http` backend's protocol on Tide's state backend.
 * GET answers the latest state (204 when there is none), POST stores a version (`?ID=` names the lock the
 * engine holds), DELETE records a deletion, LOCK / UNLOCK take and release the lock (423 with the holder's
 * lock info when another live run holds it, the answer the engine prints). Only a run's own credential is
 * accepted, and only while the run holds its lease (fencing: src/state/state-backend.service.ts).
 * Template jobs' own states are at `/api/v1/state/_jobs/{scope}/{job}`.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { TideError } from '../errors/tide-error.ts';
import type { RunCaller, StateBackendService } from '../state/state-backend.service.ts';
import { parseRequest } from './api-schemas.ts';
import { routeConfig } from './route-config.ts';

/** State grows with the infrastructure; 1 MiB (the API's limit) is far too little for it. */
export const STATE_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

const keyParams = z.strictObject({ key: z.string().min(1).max(200) });
const jobKeyParams = z.strictObject({
  scope: z.string().min(1).max(200),
  job: z.string().min(1).max(200),
});
const writeQuery = z.object({ ID: z.string().min(1).max(200).optional() });

/** LOCK and UNLOCK are WebDAV methods Node knows; Fastify routes them once told they carry a body. */
export function enableStateBackendMethods(app: FastifyInstance): void {
  for (const method of ['LOCK', 'UNLOCK']) app.addHttpMethod(method, { hasBody: true });
}

export const stateBackendRoutes: FastifyPluginAsync<{ backend: StateBackendService }> = async (
  app,
  { backend },
) => {
  // The engine's bodies are kept as bytes: the checksum is of what it sent, and JSON is the engine's.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit: STATE_BODY_LIMIT_BYTES },
    (_req, body, done) => done(null, body),
  );

  for (const [url, params] of [
    ['/state/:key', keyParams],
    ['/state/_jobs/:scope/:job', jobKeyParams],
  ] as const) {
    const keyOf = (request: FastifyRequest): string => {
      const parsed = parseRequest(params, request.params, 'params') as Record<string, string>;
      return parsed.key ?? `_jobs/${parsed.scope}/${parsed.job}`;
    };
    const config = (summary: string) =>
      routeConfig({ permission: 'run', summary, rateLimit: false, schemas: { params } });

    app.get(
      url,
      { config: config('The engine reads the latest state (http backend)') },
      async (request, reply) => {
        const content = await backend.read(keyOf(request), callerOf(request));
        if (!content) return reply.code(204).send();
        return reply.type('application/json').send(content);
      },
    );

    app.post(
      url,
      {
        bodyLimit: STATE_BODY_LIMIT_BYTES,
        config: config('The engine writes a new state version (http backend)'),
      },
      async (request, reply) => {
        const { ID } = parseRequest(writeQuery, request.query, 'query');
        await backend.write(keyOf(request), callerOf(request), bodyOf(request), ID);
        return reply.code(200).send();
      },
    );

    app.delete(
      url,
      { config: config('The engine deletes its state (http backend)') },
      async (request, reply) => {
        const { ID } = parseRequest(writeQuery, request.query, 'query');
        await backend.remove(keyOf(request), callerOf(request), ID);
        return reply.code(200).send();
      },
    );

    app.route({
      method: 'LOCK',
      url,
      config: config('The engine takes the state lock (http backend)'),
      handler: async (request, reply) =>
        lockAnswer(
          reply,
          await backend.lock(keyOf(request), callerOf(request), bodyOf(request).toString('utf8')),
        ),
    });
    app.route({
      method: 'UNLOCK',
      url,
      config: config('The engine releases the state lock (http backend)'),
      handler: async (request, reply) =>
        lockAnswer(
          reply,
          await backend.unlock(keyOf(request), callerOf(request), bodyOf(request).toString('utf8')),
        ),
    });
  }
};

function lockAnswer(reply: FastifyReply, outcome: Awaited<ReturnType<StateBackendService['lock']>>) {
  // The engine prints the holder's lock info from a 423's body ("Lock Info: ID, Who, Operation…").
  if (!outcome.locked) return reply.code(423).type('application/json').send(outcome.holder);
  return reply.code(200).send();
}

function callerOf(request: FastifyRequest): RunCaller {
  const header = request.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1])
    throw new TideError(
      'unauthenticated',
      'the state backend takes a run credential (HTTP Basic), and none was sent',
    );
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new TideError('unauthenticated', 'malformed Basic credentials');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}
