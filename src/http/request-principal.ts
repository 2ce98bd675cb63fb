/**
 * Who made a request, as far as rate limiting and auditing need to know. The auth plugin decorates the
 * request with `principal`; this reads it structurally rather than through a module augmentation, so
 * this file neither depends on the auth code nor clashes with the type it declares.
 */
import type { FastifyRequest } from 'fastify';

export interface RequestPrincipal {
  /** Stable: the key per-principal rate limits count against. */
  readonly id: string;
  /** For people: the audit log's actor (a username, `token:<owner>/<name>`). */
  readonly name: string;
}

export function requestPrincipal(request: FastifyRequest): RequestPrincipal | null {
  const principal = (request as { principal?: unknown }).principal;
  if (typeof principal !== 'object' || principal === null) return null;
  const { id, name } = principal as { id?: unknown; name?: unknown };
  if ((typeof id !== 'string' && typeof id !== 'number') || typeof name !== 'string') return null;
  return { id: String(id), name };
}

/** The audit actor of a request: its principal's name, or `anonymous`. */
export function requestActor(request: FastifyRequest): string {
  return requestPrincipal(request)?.name ?? 'anonymous';
}
