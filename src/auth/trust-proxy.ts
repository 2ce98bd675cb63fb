/**
 * TIDE_TRUST_PROXY: which reverse proxies may say who the client is (`X-Forwarded-For`). Off by default:
 * the client is whoever opened the connection, and a forwarded header is ignored, since any client can
 * send one. Behind a proxy every client would then share the proxy's address, and with it the per-address
 * login lockout and rate limits, so the operator names the proxies: their addresses or CIDR ranges (only
 * a connection from one of them is believed, hop by hop), or how many proxies stand in front of Tide.
 * Fastify's `trustProxy` then sets `request.ip`, which every per-address key and the audit log use.
 */
import { isIP } from 'node:net';

/** false: trust no proxy; a number: that many hops; a list: proxies by address or CIDR range. */
export type TrustProxy = false | number | readonly string[];

export type TrustProxyParse = { ok: true; value: TrustProxy } | { ok: false; errors: string[] };

const HOPS = /^\d+$/;

/** Parses the variable's text; unset or blank is off. Every bad entry is named. */
export function parseTrustProxy(text: string | undefined): TrustProxyParse {
  const trimmed = text?.trim() ?? '';
  if (trimmed === '') return { ok: true, value: false };
  if (HOPS.test(trimmed)) {
    const hops = Number(trimmed);
    return hops >= 1
      ? { ok: true, value: hops }
      : { ok: false, errors: ['a hop count must be at least 1 (leave it unset to trust no proxy)'] };
  }
  const entries = trimmed
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const errors = entries.filter((entry) => !isAddressOrRange(entry)).map(describeBadEntry);
  return errors.length === 0 ? { ok: true, value: entries } : { ok: false, errors };
}

function isAddressOrRange(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function describeBadEntry(entry: string): string {
  return `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32); expected the proxies' addresses, or a hop count alone such as 1`;
}

/**
 * Fastify's `trustProxy` option. A hop count is passed as a function trusting the first `hops` addresses
 * (the connection's, then X-Forwarded-For from the right): Fastify 5 refuses a bare number, because it
 * cannot check who connected. That is the operator's choice to make, and docs/security.md says when it
 * is safe: only when nothing reaches Tide except through those proxies.
 */
export function trustProxyOption(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust === false ? false : [...trust];
}
