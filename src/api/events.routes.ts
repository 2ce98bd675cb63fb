/**
 * `GET /api/v1/events` (SPEC §6): the live event stream, a WebSocket carrying run state changes, log
 * lines, workspace status and firings, each filtered to what the caller may read (event-socket.ts,
 * src/events/event-filter.ts). docs/api.md#events describes it for clients.
 *
 * The upgrade request goes through every hook an HTTP request does (request id, security headers, rate
 * limits, authentication): @fastify/websocket routes it through Fastify before upgrading, so a request
 * without valid credentials is answered `401` and never becomes a WebSocket. Credentials come as for any
 * route — a Bearer header, or the browser session's cookie — and never in the URL, where they would
 * end up in proxy and access logs.
 *
 * Browsers send cookies with a WebSocket upgrade whatever page opens it, and WebSockets are not bound by
 * CORS; so a cookie-authenticated upgrade must come from a trusted Origin, the check the CSRF guard does
 * for unsafe requests (src/http/session-cookies.ts).
 */
import type { WebsocketPluginOptions } from '@fastify/websocket';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { credentialOf, principalOf } from '../http/auth.plugin.ts';
import type { AuthSettings } from '../auth/auth-settings.ts';
import { resolvePrincipal, type Principal } from '../auth/principal.ts';
import { originTrusted } from '../http/session-cookies.ts';
import { TideError } from '../errors/tide-error.ts';
import type { ApiDeps } from './api-deps.ts';
import { CloseCode, DEFAULT_EVENT_STREAM_LIMITS, EventSocket } from './event-socket.ts';
import { routeConfig } from './route-config.ts';

/**
 * Largest message a client may send. Clients only send subscriptions, well under 16 KiB; ws would
 * otherwise buffer up to 100 MiB per message.
 */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

/** How long a close waits for the peer's close frame before the socket is destroyed (ws default 30 s). */
export const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Options for registering @fastify/websocket in buildApp. On shutdown every socket is closed with 1001
 * (going away), which tells clients to reconnect, rather than the plugin's bare close; Fastify then waits
 * for the closing handshakes (at most CLOSE_TIMEOUT_MS) before app.close() resolves.
 */
export const websocketPluginOptions: WebsocketPluginOptions = {
  options: { maxPayload: MAX_CLIENT_MESSAGE_BYTES, closeTimeout: CLOSE_TIMEOUT_MS, perMessageDeflate: false },
  preClose: async function closeForShutdown(this: FastifyInstance) {
    for (const client of this.websocketServer.clients)
      client.close(CloseCode.goingAway, 'server shutting down');
  },
  // A peer that disappears mid-frame is routine for a long-lived connection: a warning, not an error.
  errorHandler(error, socket, request) {
    request.log.warn({ err: error }, 'event stream socket failed');
    socket.terminate();
  },
};

export const eventsRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const limits = { ...DEFAULT_EVENT_STREAM_LIMITS, ...deps.eventStream };
  app.route({
    method: 'GET',
    url: '/events',
    config: routeConfig({
      permission: 'read',
      summary:
        'Live events over a WebSocket: run updates, log lines, workspace status, firings (docs/api.md#events)',
    }),
    onRequest: async (request) => refuseForeignBrowser(request, deps.auth),
    // Reached by a plain GET, without `Upgrade: websocket`.
    handler: async () => {
      throw new TideError('invalid_argument', 'GET /api/v1/events is a WebSocket: send Upgrade: websocket');
    },
    wsHandler: (socket, request) => {
      const principal = principalOf(request);
      request.log.info({ principal: principal.name }, 'event stream opened');
      socket.on('close', (code) => request.log.info({ code }, 'event stream closed'));
      new EventSocket(socket, principal, {
        hub: deps.hub,
        logger: request.log,
        limits,
        reauthenticate: reauthenticator(request, deps),
      }).open();
    },
  });
};

/** Runs after authentication (a route hook follows the app's hooks), so the principal is known. */
async function refuseForeignBrowser(request: FastifyRequest, settings: AuthSettings): Promise<void> {
  if (principalOf(request).via !== 'cookie' || originTrusted(request, settings)) return;
  request.log.warn({ origin: request.headers.origin ?? null }, 'event stream refused: untrusted Origin');
  throw new TideError('csrf_failed', 'a browser may open the event stream only from a trusted Origin');
}

/** Resolves the upgrade's credential again, at the time of each check, as the auth plugin would. */
function reauthenticator(
  request: FastifyRequest,
  deps: Pick<ApiDeps, 'db' | 'auth' | 'clock'>,
): () => Promise<Principal | null> {
  const credential = credentialOf(request);
  // The auth plugin accepted this request, so a credential is there; without one nobody is left.
  if (!credential) return async () => null;
  return () =>
    resolvePrincipal(
      { db: deps.db, accessToken: deps.auth.accessToken },
      credential.value,
      credential.via,
      deps.clock.now(),
    );
}
