/**
 * Types for the part of `ws` (the WebSocket library under @fastify/websocket) that Tide uses: the server
 * side of the event stream and the client in its tests. The package ships no types and @types/ws is not
 * a dependency; without this file every `ws` value would be `any`. Declared without `extends
 * EventEmitter` on purpose, so only the events listed here type-check. Checked against ws 8.
 */
declare module 'ws' {
  import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';

  /** A received message: a Buffer unless `binaryType` was changed (Tide never changes it). */
  export type RawData = Buffer | ArrayBuffer | Buffer[];

  export interface ClientOptions {
    readonly headers?: OutgoingHttpHeaders;
    /** Sent as the `Origin` header, as a browser would. */
    readonly origin?: string;
    /** Answer pings automatically (default true); tests turn it off to play a dead peer. */
    readonly autoPong?: boolean;
    readonly handshakeTimeout?: number;
    readonly maxPayload?: number;
  }

  export interface ServerOptions {
    readonly noServer?: boolean;
    /** Largest message accepted from a peer, in bytes (ws default 100 MiB). */
    readonly maxPayload?: number;
    /** How long close() waits for the peer's close frame before destroying the socket (default 30 s). */
    readonly closeTimeout?: number;
    readonly perMessageDeflate?: boolean;
    readonly clientTracking?: boolean;
  }

  export class WebSocket {
    static readonly CONNECTING: 0;
    static readonly OPEN: 1;
    static readonly CLOSING: 2;
    static readonly CLOSED: 3;

    constructor(address: string | URL, options?: ClientOptions);

    readonly readyState: 0 | 1 | 2 | 3;
    /** Bytes queued but not yet handed to the kernel: what a slow peer makes grow. */
    readonly bufferedAmount: number;

    send(data: string | Buffer, callback?: (error?: Error) => void): void;
    ping(data?: string | Buffer, mask?: boolean, callback?: (error?: Error) => void): void;
    /** Starts the closing handshake; `code` 1000–4999, `reason` at most 123 bytes. */
    close(code?: number, reason?: string | Buffer): void;
    /** Destroys the socket at once, without a closing handshake. */
    terminate(): void;
    /** Stops reading from the socket (the peer's messages, pings and close frames wait). */
    pause(): void;
    resume(): void;

    on(event: 'open' | 'ping' | 'pong', listener: () => void): this;
    on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(
      event: 'unexpected-response',
      listener: (request: ClientRequest, response: IncomingMessage) => void,
    ): this;
    once(event: 'open' | 'ping' | 'pong', listener: () => void): this;
    once(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
    once(event: 'close', listener: (code: number, reason: Buffer) => void): this;
    once(event: 'error', listener: (error: Error) => void): this;
    once(
      event: 'unexpected-response',
      listener: (request: ClientRequest, response: IncomingMessage) => void,
    ): this;
    off(event: string, listener: (...args: never[]) => void): this;
  }

  export class WebSocketServer {
    constructor(options: ServerOptions);
    /** Every open connection (with clientTracking, the default). */
    readonly clients: Set<WebSocket>;
    close(callback?: (error?: Error) => void): void;
  }

  /** The name @fastify/websocket's types use. */
  export { WebSocketServer as Server };

  export default WebSocket;
}
