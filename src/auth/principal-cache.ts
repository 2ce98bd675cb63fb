/**
 * Resolved credentials kept between requests (decision 043): verifying a token's signature and reading its
 * session and user rows was most of a cheap request. An entry serves while the store's change stamp is the
 * one it was resolved under — no row anywhere changed, so no session was revoked, no user disabled or
 * demoted, no API token revoked — and the credential has not expired; anything else resolves afresh.
 * A store without a stamp (PostgreSQL, where other replicas write) is never cached. Only credentials that
 * resolved are kept, so unknown tokens cannot fill the cache.
 */
import type { ChangeStamp } from '../store/change-stamp.ts';
import { LruMap } from '../store/lru-map.ts';
import type { Principal } from './principal.ts';
import type { ResolvedCredential } from './principal.ts';

/** Distinct credentials kept; the least recently used one goes first. */
export const PRINCIPAL_CACHE_SIZE = 1000;

interface Entry {
  readonly resolved: ResolvedCredential;
  readonly stamp: string;
}

export class PrincipalCache {
  readonly #stamp: ChangeStamp;
  readonly #entries: LruMap<string, Entry>;

  constructor(stamp: ChangeStamp, size = PRINCIPAL_CACHE_SIZE) {
    this.#stamp = stamp;
    this.#entries = new LruMap(size);
  }

  async resolve(
    credential: string,
    via: Principal['via'],
    now: Date,
    resolveFresh: () => Promise<ResolvedCredential | null>,
  ): Promise<Principal | null> {
    const stamp = this.#stamp();
    if (stamp === null) return (await resolveFresh())?.principal ?? null;
    const key = `${via} ${credential}`;
    const entry = this.#entries.get(key);
    if (entry && entry.stamp === stamp && !expired(entry.resolved, now)) return entry.resolved.principal;
    const resolved = await resolveFresh();
    if (!resolved) return null;
    this.#entries.set(key, { resolved, stamp });
    return resolved.principal;
  }
}

function expired(resolved: ResolvedCredential, now: Date): boolean {
  return resolved.expiresAt !== null && resolved.expiresAt <= now;
}
