/**
 * One connection of the live event stream (`GET /api/v1/events`): from the moment the WebSocket is open
 * until it closes, it listens to the hub, keeps what the principal may read and the client subscribed
 * to (src/events/event-filter.ts), and sends each as one JSON text message.
 *
 * It defends the server against its client:
 * - a client that reads slower than events arrive would make the socket's send buffer grow without
 *   bound; past `maxBufferedBytes` the connection is closed with 1013 (try again later) instead;
 * - a peer that vanished without a FIN is found by a ping every `pingIntervalMs`: one that has not
 *   answered the previous ping when the next is due is terminated;
 * - credentials are checked once, at the upgrade, and then every `recheckIntervalMs`: a revoked or
 *   expired token, an ended session or a disabled user closes the connection with 1008, and a changed
 *   role or set of workspace patterns applies from then on.
 * On close, whatever the reason, it stops listening to the hub and its timers.
 */
import type { RawData, WebSocket } from 'ws';
import type { Principal } from '../auth/principal.ts';
import { toTideError, TideError } from '../errors/tide-error.ts';
import type { EventHub, FiringEvent } from '../events/event-hub.ts';
import type { LogLinesEvent, WorkspaceStatusEvent } from '../run/run-events.ts';
import {
  EventFilter,
  everything,
  firingMessage,
  runLogMessage,
  runUpdatedMessage,
  subscribeMessageSchema,
  workspaceStatusMessage,
  type EventMessage,
} from '../events/event-filter.ts';
import type { Logger } from '../log/logger.ts';
import type { Run } from '../run/run.ts';
import { parseRequest } from './api-schemas.ts';

export interface EventStreamLimits {
  /** Unsent bytes a connection may accumulate before it is closed with 1013. Default 1 MiB. */
  readonly maxBufferedBytes: number;
  /** How often the server pings; a peer silent for a whole interval is cut off. Default 30 s. */
  readonly pingIntervalMs: number;
  /** How often the connection's credentials are resolved again. Default 60 s. */
  readonly recheckIntervalMs: number;
}

export const DEFAULT_EVENT_STREAM_LIMITS: EventStreamLimits = {
  maxBufferedBytes: 1024 * 1024,
  pingIntervalMs: 30_000,
  recheckIntervalMs: 60_000,
};

/** The close codes the stream uses (RFC 6455 §7.4.1). */
export const CloseCode = {
  /** The server is shutting down. */
  goingAway: 1001,
  /** The credentials no longer stand for anyone (revoked, expired, user disabled). */
  policyViolation: 1008,
  /** The client fell too far behind; it may reconnect. */
  tryAgainLater: 1013,
} as const;

export interface EventSocketDeps {
  readonly hub: Pick<EventHub, 'on' | 'off'>;
  /** The upgrade request's logger, so every line carries its request id. */
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly limits: EventStreamLimits;
  /** Resolves the connection's credential again: the principal now, or null if it stands for no one. */
  reauthenticate(): Promise<Principal | null>;
}

/** A message ready to send: built and serialised once per hub event, however many connections send it. */
interface Encoded {
  readonly message: EventMessage;
  readonly json: string;
}

function memoized<E extends object>(toMessage: (event: E) => EventMessage): (event: E) => Encoded {
  const cache = new WeakMap<E, Encoded>();
  return (event) => {
    let encoded = cache.get(event);
    if (!encoded) {
      const message = toMessage(event);
      encoded = { message, json: JSON.stringify(message) };
      cache.set(event, encoded);
    }
    return encoded;
  };
}

const encodeRun = memoized(runUpdatedMessage);
const encodeLog = memoized(runLogMessage);
const encodeStatus = memoized(workspaceStatusMessage);
const encodeFiring = memoized(firingMessage);

export class EventSocket {
  #principal: Principal;
  #filter = new EventFilter(everything);
  /** Whether the peer answered the last ping. */
  #alive = true;
  #rechecking = false;
  #stopped = false;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly socket: WebSocket,
    principal: Principal,
    private readonly deps: EventSocketDeps,
  ) {
    this.#principal = principal;
  }

  /** Call once the WebSocket is open: greets the client, then streams until either side closes. */
  open(): void {
    const { socket, deps } = this;
    socket.on('close', () => this.#stop());
    socket.on('message', (data, isBinary) => this.#onMessage(data, isBinary));
    socket.on('pong', () => {
      this.#alive = true;
    });
    deps.hub.on('run.updated', this.#onRun);
    deps.hub.on('run.log', this.#onLog);
    deps.hub.on('workspace.status', this.#onStatus);
    deps.hub.on('firing.recorded', this.#onFiring);
    const { name, role } = this.#principal;
    this.#sendJson({ type: 'hello', principal: { name, role } });
    // Unref'd: a connection's timers alone must not keep the process alive.
    this.#timers.push(
      setInterval(() => this.#heartbeat(), deps.limits.pingIntervalMs).unref(),
      setInterval(() => void this.#recheck(), deps.limits.recheckIntervalMs).unref(),
    );
  }

  readonly #onRun = (run: Run): void => this.#deliver(encodeRun(run));
  readonly #onLog = (event: LogLinesEvent): void => this.#deliver(encodeLog(event));
  readonly #onStatus = (event: WorkspaceStatusEvent): void => this.#deliver(encodeStatus(event));
  readonly #onFiring = (event: FiringEvent): void => this.#deliver(encodeFiring(event));

  #deliver(encoded: Encoded): void {
    if (this.#filter.admits(this.#principal.scope, encoded.message)) this.#send(encoded.json);
  }

  #send(json: string): void {
    if (this.#stopped) return;
    // Checked before adding more: what is already queued is bounded by the limit plus one message.
    const buffered = this.socket.bufferedAmount;
    if (buffered > this.deps.limits.maxBufferedBytes) {
      this.deps.logger.warn(
        { buffered_bytes: buffered, limit_bytes: this.deps.limits.maxBufferedBytes },
        'event stream client too slow: closing the connection',
      );
      this.#close(CloseCode.tryAgainLater, 'too slow: the event stream fell too far behind');
      return;
    }
    this.socket.send(json);
  }

  #sendJson(message: object): void {
    this.#send(JSON.stringify(message));
  }

  /** Client → server: only subscription changes, each answered with `subscribed` or `error`. */
  #onMessage(data: RawData, isBinary: boolean): void {
    try {
      if (isBinary) throw new TideError('invalid_argument', 'send subscriptions as JSON text messages');
      let parsed: unknown;
      try {
        parsed = JSON.parse(textOf(data));
      } catch {
        throw new TideError('invalid_argument', 'the message is not valid JSON');
      }
      this.#filter = EventFilter.fromMessage(parseRequest(subscribeMessageSchema, parsed, 'body'));
      this.#sendJson({ type: 'subscribed', ...this.#filter.subscription });
    } catch (error) {
      // The connection stays: the previous subscription still applies.
      this.#sendJson({ type: 'error', ...toTideError(error).toBody() });
    }
  }

  #heartbeat(): void {
    if (!this.#alive) {
      this.deps.logger.info('event stream client answered no ping: terminating the connection');
      this.#stop();
      this.socket.terminate();
      return;
    }
    this.#alive = false;
    this.socket.ping();
  }

  async #recheck(): Promise<void> {
    // A slow database must not pile checks up; the next tick tries again.
    if (this.#rechecking || this.#stopped) return;
    this.#rechecking = true;
    try {
      const principal = await this.deps.reauthenticate();
      if (this.#stopped) return;
      if (principal) {
        this.#principal = principal;
        return;
      }
      this.deps.logger.info('event stream credentials revoked or expired: closing the connection');
      this.#close(CloseCode.policyViolation, 'credentials revoked or expired');
    } catch (error) {
      // The store is unreachable: keep the connection (nothing else works either) and retry next tick.
      this.deps.logger.warn({ err: error }, 'event stream could not re-check credentials');
    } finally {
      this.#rechecking = false;
    }
  }

  #close(code: number, reason: string): void {
    this.#stop();
    // A peer that never answers the close frame is destroyed after the server's closeTimeout.
    this.socket.close(code, reason);
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.deps.hub.off('run.updated', this.#onRun);
    this.deps.hub.off('run.log', this.#onLog);
    this.deps.hub.off('workspace.status', this.#onStatus);
    this.deps.hub.off('firing.recorded', this.#onFiring);
    for (const timer of this.#timers) clearInterval(timer);
  }
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
