/**
 * The one place an API failure becomes a response: `{"error": {"code", "message", "details"?}}` with the
 * status from the error catalogue. Expected errors (TideError) keep their message; Fastify's own client
 * errors (bad JSON, body too large, wrong content type) are translated; anything else is `internal`,
 * logged in full and answered without its message, which may hold paths, SQL or secrets.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BODY_LIMIT_BYTES } from './api-schemas.ts';
import { TideError } from '../errors/tide-error.ts';

const MAX_ECHOED_URL = 200;

export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const error = notFoundError(request);
    return reply.code(error.httpStatus).send(error.toBody());
  });

  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error, request.id, request.routeOptions.bodyLimit);
    if (apiError.code === 'internal') request.log.error({ err: error }, 'request failed');
    else if (apiError.httpStatus >= 500) request.log.warn({ err: error }, apiError.message);
    return reply.code(apiError.httpStatus).send(apiError.toBody());
  });
}

/** The 404 of an unknown route; the dashboard's fallback answers it too for paths that are not its own. */
export function notFoundError(request: FastifyRequest): TideError {
  const path = request.url.split('?')[0]?.slice(0, MAX_ECHOED_URL) ?? '';
  return new TideError('not_found', `no route ${request.method} ${path}`, {
    details: { method: request.method, path },
  });
}

/** `bodyLimit`: the route's limit in bytes (the state backend takes more than the API's 1 MiB). */
export function toApiError(error: unknown, requestId: string, bodyLimit = BODY_LIMIT_BYTES): TideError {
  if (error instanceof TideError && error.code !== 'internal') return error;
  if (isFastifyClientError(error)) {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return new TideError(
        'payload_too_large',
        `the request body is larger than ${bodyLimit / (1024 * 1024)} MiB`,
        { details: { limit_bytes: bodyLimit } },
      );
    }
    const media = error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE';
    return new TideError(
      'validation_failed',
      media ? 'send the request body as application/json' : `invalid request: ${error.message}`,
      { details: { fastify_code: error.code } },
    );
  }
  return new TideError('internal', `internal error (request ${requestId}); the server log has the details`);
}

function isFastifyClientError(error: unknown): error is FastifyError & { statusCode: number } {
  if (!(error instanceof Error)) return false;
  const { code, statusCode } = error as Partial<FastifyError>;
  return typeof code === 'string' && code.startsWith('FST_') && (statusCode ?? 500) < 500;
}
