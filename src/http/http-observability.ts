/**
 * What the API adds to every request for people operating Tide: a request id (in the response header and
 * on every log line of the request) and a duration in `tide_http_request_duration_seconds`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { TideMetrics } from '../observability/metrics.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/** The log field holding the request id, snake_case like `run_id`. */
export const REQUEST_ID_LOG_LABEL = 'request_id';

/** An incoming id Tide keeps: enough for UUIDs and tracing ids, nothing that could forge a log line. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Label for requests no route matched: the raw URL would give every scanner probe its own series. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Fastify's `genReqId`. A valid `X-Request-Id` from the caller or a proxy is kept, so one id follows a
 * request across systems; anything else (missing, too long, odd characters, the header sent twice) is
 * replaced by a random UUID.
 */
export function requestIdOf(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Echoes the request id on every response and, given metrics, times every request. Call it before
 * registering other hooks, so a request an earlier hook rejects (401, 429) still carries its id.
 */
export function observeHttp(app: FastifyInstance, metrics: TideMetrics | undefined): void {
  app.addHook('onRequest', async (request, reply) => {
    // On the raw response rather than reply.header(): a hijacked reply (the followed log stream) writes
    // its own head, and Node merges headers set here into it.
    reply.raw.setHeader(REQUEST_ID_HEADER, request.id);
  });
  if (!metrics) return;
  const durations = metrics.httpRequestDurationSeconds;
  // onResponse fires when the raw response finishes, which includes a hijacked stream that ends; one
  // the client abandons mid-way never finishes and is not counted (docs/monitoring.md).
  app.addHook('onResponse', async (request, reply) => {
    durations.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
}
