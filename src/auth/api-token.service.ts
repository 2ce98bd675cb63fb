/**
 * API tokens for scripts and CI (SPEC §7): opaque `tide_…` secrets shown once, stored hashed, owned by a
 * user. A token never has more than the credential that created it: a role no higher, workspace patterns
 * inside its scope, and an expiry no later (an API token's own expiry, or the end of the login session).
 * At each request the token is also capped by its owner's current role and scope (principal.ts), so
 * demoting or disabling a user reins in their tokens at once.
 *
 * Managing tokens follows the same rule: a person manages all of their own tokens (an admin everyone's),
 * while an API token sees and revokes only the tokens it could have created itself. Otherwise a leaked
 * viewer token could list its owner's admin tokens, or revoke them.
 */
import { randomUUID } from 'node:crypto';
import { TideError } from '../errors/tide-error.ts';
import { toInstant } from '../store/dialect.ts';
import { formatDuration } from '../time/duration.ts';
import {
  getApiToken,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  type ApiToken,
} from './api-token.repo.ts';
import { recordAuthEvent } from './auth-audit.ts';
import { forbidden } from './auth-errors.ts';
import type { AuthDeps } from './auth-settings.ts';
import { API_TOKEN_PREFIX, hashToken, newOpaqueToken } from './opaque-token.ts';
import type { Role } from './permissions.ts';
import type { Principal } from './principal.ts';
import { sessionExpiry } from './session.repo.ts';
import { roleAtMost } from './user.ts';
import type { Acting } from './user.service.ts';

export interface NewTokenRequest {
  readonly name: string;
  readonly role: Role;
  readonly workspaces?: readonly string[] | undefined;
  /** Lifetime in milliseconds; absent = as long as the creating credential lives (or until revoked). */
  readonly expiresInMs?: number | undefined;
}

export interface ApiTokenView {
  readonly id: string;
  readonly name: string;
  readonly owner: string;
  readonly role: Role;
  readonly workspaces: readonly string[] | null;
  readonly created_at: string;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
}

export function toApiTokenView(token: ApiToken, owner: string): ApiTokenView {
  return {
    id: token.id,
    name: token.name,
    owner,
    role: token.role,
    workspaces: token.workspaces,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    revoked_at: token.revokedAt,
  };
}

export class ApiTokenService {
  readonly #deps: AuthDeps;

  constructor(deps: AuthDeps) {
    this.#deps = deps;
  }

  /** Creates a token owned by the caller's user; the secret is in the answer and nowhere else. */
  async create(
    principal: Principal,
    request: NewTokenRequest,
    acting: Acting,
  ): Promise<ApiTokenView & { token: string }> {
    if (!roleAtMost(request.role, principal.role))
      throw forbidden(`a ${principal.role} cannot create a token with role ${request.role}`, {
        role: request.role,
      });
    const outside = (request.workspaces ?? []).filter((pattern) => !principal.scope.covers(pattern));
    if (outside.length > 0)
      throw forbidden(`workspace patterns outside your own scope: ${outside.join(', ')}`, {
        patterns: outside,
      });
    const now = this.#deps.clock.now();
    const expiresAt = await this.#expiry(principal, request.expiresInMs, now);
    const secret = newOpaqueToken(API_TOKEN_PREFIX);
    const token = await insertApiToken(this.#deps.db, {
      id: randomUUID(),
      name: request.name,
      hash: hashToken(secret),
      userId: principal.userId,
      role: request.role,
      // Without patterns a token gets its creator's own: shown as such, and no wider than them anyway.
      workspaces: request.workspaces ?? principal.workspaces,
      now,
      expiresAt,
    });
    await this.#audit(acting, 'token.create', token, principal.username, {
      role: token.role,
      workspaces: token.workspaces,
      expires_at: token.expiresAt,
    });
    return { ...toApiTokenView(token, principal.username), token: secret };
  }

  /** The caller's user's tokens (an admin's list holds everyone's) that the caller may manage. */
  async list(principal: Principal): Promise<ApiTokenView[]> {
    const tokens = await listApiTokens(
      this.#deps.db,
      principal.role === 'admin' ? {} : { userId: principal.userId },
    );
    return tokens.filter((token) => withinReach(principal, token)).map((t) => toApiTokenView(t, t.owner));
  }

  /** Revokes a token of the caller's user (any token for an admin); the next request with it is refused. */
  async revoke(principal: Principal, id: string, acting: Acting): Promise<void> {
    const token = await getApiToken(this.#deps.db, id);
    // Someone else's token is "not found", not "forbidden": its existence is not the caller's business.
    if (!token || (token.userId !== principal.userId && principal.role !== 'admin'))
      throw new TideError('not_found', `token ${id} does not exist`, { details: { token_id: id } });
    if (!withinReach(principal, token))
      throw forbidden(
        `token ${id} has a higher role or wider workspace patterns than the token revoking it; revoke it as its owner`,
        { token_id: id },
      );
    const revoked = await revokeApiToken(this.#deps.db, id, this.#deps.clock.now());
    if (!revoked)
      throw new TideError('conflict', `token "${token.name}" is already revoked`, {
        details: { token_id: id },
      });
    await this.#audit(acting, 'token.revoke', token, token.owner, {});
  }

  /**
   * The new token's expiry: the one asked for, which must not be later than the end of the creating
   * credential; or, when none is asked for, that end (null: the creator never expires either).
   */
  async #expiry(principal: Principal, expiresInMs: number | undefined, now: Date): Promise<Date | null> {
    const wanted = expiresInMs === undefined ? null : new Date(now.getTime() + expiresInMs);
    const endText = await this.#creatorEnd(principal, now);
    if (endText === null) return wanted;
    const end = new Date(endText);
    if (end <= now)
      throw forbidden('the session or token making this request has ended: log in again', {
        ends_at: endText,
      });
    if (wanted === null) return end;
    if (wanted <= end) return wanted;
    const creator = principal.kind === 'api_token' ? 'token' : 'login session';
    const left = formatDuration(Math.floor((end.getTime() - now.getTime()) / 1000) * 1000);
    throw forbidden(
      `a token cannot outlive the ${creator} that creates it: expires_in at most ${left} (until ${endText})`,
      { ends_at: endText },
    );
  }

  /**
   * When the calling credential stops working by itself: an API token's expiry (null: never), or when
   * the login session ends unless refreshed. A credential whose record is gone has ended now.
   */
  async #creatorEnd(principal: Principal, now: Date): Promise<string | null> {
    const { db } = this.#deps;
    if (principal.kind === 'api_token') {
      const token = principal.tokenId ? await getApiToken(db, principal.tokenId) : null;
      return token ? token.expiresAt : toInstant(now);
    }
    return (principal.sessionId ? await sessionExpiry(db, principal.sessionId) : null) ?? toInstant(now);
  }

  #audit(
    acting: Acting,
    action: string,
    token: ApiToken,
    owner: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    return recordAuthEvent(this.#deps, acting, {
      actor: acting.actor,
      action,
      target: `token:${owner}/${token.name}`,
      result: 'success',
      details: { token_id: token.id, ...details },
    });
  }
}

/**
 * Whether the caller may see and revoke `token`: a person any token they are shown (their own, or an
 * admin everyone's); an API token itself, and the tokens it could have created: a role no higher than
 * its own and patterns inside its scope (no patterns = every workspace, inside only an unrestricted scope).
 */
function withinReach(principal: Principal, token: ApiToken): boolean {
  if (principal.kind === 'user' || token.id === principal.tokenId) return true;
  const inside =
    token.workspaces === null
      ? principal.scope.unrestricted
      : token.workspaces.every((pattern) => principal.scope.covers(pattern));
  return inside && roleAtMost(token.role, principal.role);
}
