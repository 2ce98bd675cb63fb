/**
 * API tokens for scripts and CI (SPEC §7): opaque `tide_…` secrets shown once, stored hashed, with a
 * role no higher than their creator's and optional workspace patterns inside the creator's scope. At
 * each request the token is also capped by its creator's current role and scope (principal.ts), so
 * demoting or disabling a user reins in their tokens at once.
 */
import { randomUUID } from 'node:crypto';
import { TideError } from '../errors/tide-error.ts';
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
import { roleAtMost } from './user.ts';
import type { Acting } from './user.service.ts';

export interface NewTokenRequest {
  readonly name: string;
  readonly role: Role;
  readonly workspaces?: readonly string[] | undefined;
  /** Lifetime in milliseconds; absent = until revoked. */
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
      expiresAt: request.expiresInMs === undefined ? null : new Date(now.getTime() + request.expiresInMs),
    });
    await this.#audit(acting, 'token.create', token, {
      role: token.role,
      workspaces: token.workspaces,
      expires_at: token.expiresAt,
    });
    return { ...toApiTokenView(token, principal.username), token: secret };
  }

  /** The caller's user's tokens; an admin's list holds everyone's. */
  async list(principal: Principal): Promise<ApiTokenView[]> {
    const tokens = await listApiTokens(
      this.#deps.db,
      principal.role === 'admin' ? {} : { userId: principal.userId },
    );
    return tokens.map((token) => toApiTokenView(token, token.owner));
  }

  /** Revokes a token of the caller's user (any token for an admin); the next request with it is refused. */
  async revoke(principal: Principal, id: string, acting: Acting): Promise<void> {
    const token = await getApiToken(this.#deps.db, id);
    // Someone else's token is "not found", not "forbidden": its existence is not the caller's business.
    if (!token || (token.userId !== principal.userId && principal.role !== 'admin'))
      throw new TideError('not_found', `token ${id} does not exist`, { details: { token_id: id } });
    const revoked = await revokeApiToken(this.#deps.db, id, this.#deps.clock.now());
    if (!revoked)
      throw new TideError('conflict', `token "${token.name}" is already revoked`, {
        details: { token_id: id },
      });
    await this.#audit(acting, 'token.revoke', token, {});
  }

  #audit(acting: Acting, action: string, token: ApiToken, details: Record<string, unknown>): Promise<void> {
    return recordAuthEvent(this.#deps, acting, {
      actor: acting.actor,
      action,
      target: `token:${token.name}`,
      result: 'success',
      details: { token_id: token.id, ...details },
    });
  }
}
