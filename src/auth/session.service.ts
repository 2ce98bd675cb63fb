/**
 * Login sessions (SPEC §7): a login starts a session (a refresh-token family) and hands out an access
 * token and a refresh token. A refresh token is single use: exchanging it returns a new pair in the same
 * family; exchanging a spent one means a copy exists, and the whole family is revoked, which also ends
 * the access tokens naming it. Logout and a password change revoke sessions the same way.
 */
import { randomUUID } from 'node:crypto';
import { issueAccessToken } from './access-token.ts';
import { recordAuthEvent, type RequestContext } from './auth-audit.ts';
import { unauthenticated } from './auth-errors.ts';
import type { AuthDeps } from './auth-settings.ts';
import { hashToken, newOpaqueToken } from './opaque-token.ts';
import {
  createFamily,
  familyOfToken,
  getSession,
  insertRefreshToken,
  pruneExpiredTokens,
  revokeFamily,
  spendRefreshToken,
} from './session.repo.ts';
import type { Principal } from './principal.ts';
import { getUserById } from './user.repo.ts';
import type { User } from './user.ts';

/** What login and refresh answer with (SPEC §6). */
export interface TokenPair {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly token_type: 'Bearer';
  /** Seconds the access token is valid. */
  readonly expires_in: number;
  /** The login session, for binding the CSRF token of a browser session. */
  readonly sessionId: string;
}

export class SessionService {
  readonly #deps: AuthDeps;

  constructor(deps: AuthDeps) {
    this.#deps = deps;
  }

  async start(user: User): Promise<TokenPair> {
    const sessionId = randomUUID();
    await createFamily(this.#deps.db, { id: sessionId, userId: user.id, now: this.#deps.clock.now() });
    return this.#issue(user, sessionId);
  }

  /** Exchanges a refresh token for a new pair; anything but a live, unspent token is `unauthenticated`. */
  async refresh(refreshToken: string, context: RequestContext): Promise<TokenPair & { user: User }> {
    const { db, clock } = this.#deps;
    const now = clock.now();
    const spent = await spendRefreshToken(db, hashToken(refreshToken), now);
    if (spent.kind === 'reused') {
      await this.#revokeForReuse(spent.familyId, context);
      throw unauthenticated('the refresh token was already used; the session is revoked: log in again');
    }
    const session = spent.kind === 'spent' ? await getSession(db, spent.familyId) : null;
    const user = session && !session.revoked ? await getUserById(db, session.userId) : null;
    if (!session || !user || user.disabled)
      throw unauthenticated('the refresh token is invalid, expired or revoked: log in again');
    await pruneExpiredTokens(db, session.familyId, now);
    return { ...(await this.#issue(user, session.familyId)), user };
  }

  /** The session a refresh token belongs to, if any (it need not be unspent). */
  sessionOf(refreshToken: string): Promise<string | null> {
    return familyOfToken(this.#deps.db, hashToken(refreshToken));
  }

  /**
   * Ends the caller's session: the one its access token names, and the one its refresh token names if
   * that is the same user's. An API token has no session; it is revoked with DELETE /tokens/{id}.
   */
  async logout(
    principal: Principal,
    refreshToken: string | undefined,
    context: RequestContext,
  ): Promise<void> {
    const { db, clock } = this.#deps;
    const sessions = new Set<string>();
    if (principal.sessionId) sessions.add(principal.sessionId);
    const named = refreshToken ? await this.sessionOf(refreshToken) : null;
    const namedSession = named ? await getSession(db, named) : null;
    if (namedSession?.userId === principal.userId) sessions.add(namedSession.familyId);
    let revoked = 0;
    for (const id of sessions) if (await revokeFamily(db, id, 'logout', clock.now())) revoked++;
    await recordAuthEvent(this.#deps, context, {
      actor: principal.name,
      action: 'auth.logout',
      target: `user:${principal.username}`,
      result: 'success',
      details: { sessions_revoked: revoked },
    });
  }

  async #issue(user: User, sessionId: string): Promise<TokenPair> {
    const { db, clock, settings } = this.#deps;
    const now = clock.now();
    const refreshToken = newOpaqueToken();
    await insertRefreshToken(db, {
      hash: hashToken(refreshToken),
      familyId: sessionId,
      now,
      expiresAt: new Date(now.getTime() + settings.refreshTokenTtlMs),
    });
    const access = await issueAccessToken(
      settings.accessToken,
      { userId: user.id, username: user.username, role: user.role, workspaces: user.workspaces, sessionId },
      now,
    );
    return {
      access_token: access.token,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: access.expiresIn,
      sessionId,
    };
  }

  async #revokeForReuse(familyId: string, context: RequestContext): Promise<void> {
    const { db, clock } = this.#deps;
    const session = await getSession(db, familyId);
    await revokeFamily(db, familyId, 'reuse', clock.now());
    const user = session ? await getUserById(db, session.userId) : null;
    this.#deps.logger.warn(
      { session: familyId, user: user?.username },
      'refresh token reused: session revoked',
    );
    await recordAuthEvent(this.#deps, context, {
      actor: 'anonymous',
      action: 'auth.refresh_reuse',
      target: user ? `user:${user.username}` : null,
      result: 'denied',
      details: { session: familyId },
    });
  }
}
