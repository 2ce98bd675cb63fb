/**
 * One POST to a notification receiver: to the address resolveSafely checked (never re-resolved), no
 * redirects followed (a 3xx is an answer like any other), a connect timeout and a total timeout, and at
 * most 64 KiB of the answer read (it is only kept for the delivery log, shortened).
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveSafely, type Resolver } from './ssrf-guard.ts';

export interface PostOptions {
  readonly allowPrivate: boolean;
  readonly connectTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly resolve?: Resolver;
}

export interface PostResult {
  readonly status: number;
  readonly body: string;
}

const MAX_ANSWER_BYTES = 64 * 1024;

export async function postJson(
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  options: PostOptions,
): Promise<PostResult> {
  const target = new URL(url);
  const { address, family } = await resolveSafely(target.hostname, options);
  // Pins the connection to the checked address; TLS still verifies the certificate against the host name.
  const lookup: LookupFunction = (_host, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const client = target.protocol === 'https:' ? https : http;
  return new Promise<PostResult>((resolve, reject) => {
    const request = client.request(
      target,
      {
        method: 'POST',
        lookup,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body).toString(),
          'user-agent': 'tide-notifications',
          ...headers,
        },
        signal: AbortSignal.timeout(options.totalTimeoutMs),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    request.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(
        () => request.destroy(new Error(`connect timeout after ${options.connectTimeoutMs} ms`)),
        options.connectTimeoutMs,
      );
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    request.on('error', (error) =>
      reject(error.name === 'AbortError' ? new Error(`timeout after ${options.totalTimeoutMs} ms`) : error),
    );
    request.end(body);
  });
}
