/**
 * A real WebSocket client of `GET /api/v1/events` for tests, and the app listening on a real port for it
 * to connect to. Every wait is bounded: a message or a close that never comes fails the test after
 * `timeoutMs` with what did arrive, instead of hanging until vitest's timeout.
 */
import type { ClientOptions } from 'ws';
import WebSocket from 'ws';
import type { ApiDeps } from '../../src/api/api-deps.ts';
import type { EffectiveConfig } from '../../src/config/effective-config.ts';
import type { Db } from '../../src/store/schema.ts';
import { apiFixture, type ApiFixture } from './api-fixture.ts';

const DEFAULT_TIMEOUT_MS = 5_000;

export type EventMessage = { readonly type: string } & Record<string, unknown>;

export interface ListeningFixture {
  readonly fixture: ApiFixture;
  /** `ws://127.0.0.1:<port>/api/v1/events` */
  readonly eventsUrl: string;
  /** `http://127.0.0.1:<port>`, the server's own origin. */
  readonly origin: string;
}

/** The API fixture listening on 127.0.0.1, on a free port; close it with `fixture.app.close()`. */
export async function listeningFixture(
  db: Db,
  config: EffectiveConfig,
  extra: Partial<ApiDeps> = {},
): Promise<ListeningFixture> {
  const fixture = apiFixture(db, config, extra);
  const origin = await fixture.app.listen({ host: '127.0.0.1', port: 0 });
  return { fixture, origin, eventsUrl: `${origin.replace(/^http/, 'ws')}/api/v1/events` };
}

export interface EventClient {
  readonly socket: WebSocket;
  /**
   * Waits for the first message matching `predicate` and returns every message received up to and
   * including it, in order; those are consumed, later ones stay queued.
   */
  until(predicate: (message: EventMessage) => boolean, timeoutMs?: number): Promise<EventMessage[]>;
  /** The next message matching `predicate` (the messages before it are consumed too). */
  next(predicate?: (message: EventMessage) => boolean, timeoutMs?: number): Promise<EventMessage>;
  send(message: unknown): void;
  /** Resolves with the close code once the connection is closed, by either side. */
  closed(timeoutMs?: number): Promise<number>;
}

export interface RefusedUpgrade {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: { error?: { code?: string; message?: string } };
}

/** Opens a connection; rejects if the server answers the upgrade with anything but 101. */
export function connectEvents(url: string, options: ClientOptions = {}): Promise<EventClient> {
  const socket = new WebSocket(url, options);
  const queue: EventMessage[] = [];
  /** Pending waits, each re-checked whenever something arrives. */
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((check) => check());
  let closeCode: number | null = null;
  socket.on('message', (data) => {
    queue.push(JSON.parse(String(data)) as EventMessage);
    wake();
  });
  socket.on('close', (code) => {
    closeCode = code;
    wake();
  });

  const waitFor = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(attempt);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what}; queued: ${JSON.stringify(queue)}`),
        );
      }, timeoutMs);
      const attempt = () => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        waiters.delete(attempt);
        resolve(value);
      };
      waiters.add(attempt);
      attempt();
    });

  const client: EventClient = {
    socket,
    until: (predicate, timeoutMs = DEFAULT_TIMEOUT_MS) =>
      waitFor(
        () => {
          const index = queue.findIndex(predicate);
          return index === -1 ? undefined : queue.splice(0, index + 1);
        },
        timeoutMs,
        'a matching message',
      ),
    next: async (predicate = () => true, timeoutMs) => (await client.until(predicate, timeoutMs)).at(-1)!,
    send: (message) => socket.send(JSON.stringify(message)),
    closed: (timeoutMs = DEFAULT_TIMEOUT_MS) =>
      waitFor(() => closeCode ?? undefined, timeoutMs, 'the connection to close'),
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
    socket.once('unexpected-response', (request, response) => {
      request.destroy();
      reject(new Error(`the server answered the upgrade with ${response.statusCode}`));
    });
  });
}

/** Attempts an upgrade the server must refuse; resolves with its HTTP answer (rejects on a 101). */
export function refusedUpgrade(url: string, options: ClientOptions = {}): Promise<RefusedUpgrade> {
  const socket = new WebSocket(url, options);
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the server accepted the upgrade'));
    });
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: text === '' ? {} : (JSON.parse(text) as RefusedUpgrade['body']),
        });
      });
    });
  });
}

export function bearer(token: string): ClientOptions {
  return { headers: { authorization: `Bearer ${token}` } };
}
