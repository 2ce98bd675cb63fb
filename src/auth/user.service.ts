/**
 * Managing users: create, list, change or reset a password, change role or scope, disable, unlock.
 * Every password goes through the one policy (password-policy.ts); every change is audited; a password
 * change or a disabled account revokes the user's sessions and API tokens in the same transaction
 * (whoever changed the password may be evicting a thief who minted tokens; re-enabling brings none back).
 */
import { randomUUID } from 'node:crypto';
import { TideError } from '../errors/tide-error.ts';
import { inTransaction } from '../store/dialect.ts';
import { revokeUserApiTokens } from './api-token.repo.ts';
import { recordAuthEvent, type RequestContext } from './auth-audit.ts';
import { forbidden, invalidCredentials } from './auth-errors.ts';
import type { AuthDeps } from './auth-settings.ts';
import { clearLoginFailures, lockedUntil, userLockKey } from './login-failures.repo.ts';
import { recordLockouts, reservePasswordCheck } from './password-attempts.ts';
import { hashPassword, verifyPassword } from './password-hash.ts';
import { assertPasswordAcceptable } from './password-policy.ts';
import type { Role } from './permissions.ts';
import type { Principal } from './principal.ts';
import { revokeUserFamilies } from './session.repo.ts';
import {
  getUserByName,
  insertUser,
  listUsers,
  setPasswordHash,
  updateUser,
  type UserChanges,
} from './user.repo.ts';
import type { User } from './user.ts';

export interface NewUserRequest {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
  readonly workspaces?: readonly string[] | null;
}

/** Who acts, from where: the audit log's actor and context. */
export interface Acting extends RequestContext {
  readonly actor: string;
}

export class UserService {
  readonly #deps: AuthDeps;

  constructor(deps: AuthDeps) {
    this.#deps = deps;
  }

  async create(request: NewUserRequest, acting: Acting): Promise<User> {
    assertPasswordAcceptable(request.password, request.username);
    const user = await insertUser(this.#deps.db, {
      id: randomUUID(),
      username: request.username,
      passwordHash: await hashPassword(request.password),
      role: request.role,
      workspaces: request.workspaces ?? null,
      now: this.#deps.clock.now(),
    });
    await this.#audit(acting, 'user.create', user.username, { role: user.role, workspaces: user.workspaces });
    return user;
  }

  list(): Promise<User[]> {
    return listUsers(this.#deps.db);
  }

  async get(username: string): Promise<User> {
    const user = await getUserByName(this.#deps.db, username);
    if (!user)
      throw new TideError('not_found', `user "${username}" does not exist`, { details: { username } });
    return user;
  }

  /** When the account is locked out, until when (null when it is not). */
  lockedUntil(username: string): Promise<string | null> {
    return lockedUntil(this.#deps.db, userLockKey(username), this.#deps.clock.now());
  }

  /** An admin sets someone's password (no current password needed). */
  async resetPassword(username: string, password: string, acting: Acting): Promise<User> {
    const user = await this.get(username);
    await this.#setPassword(user, password, acting, 'reset');
    return this.get(username);
  }

  /**
   * A user changes their own password, proving they know the current one. Wrong current passwords count
   * toward the login lockout (a stolen session must not become a way around it), and a locked account
   * is refused without verifying anything.
   */
  async changeOwnPassword(
    principal: Principal,
    current: string,
    next: string,
    acting: Acting,
  ): Promise<void> {
    const user = await this.get(principal.username);
    const attempt = await reservePasswordCheck(this.#deps, user.username, acting.sourceIp);
    if (!attempt) return this.#refuseCurrentPassword(user, 'locked', [], acting);
    if (!(await verifyPassword(user.passwordHash, current)))
      return this.#refuseCurrentPassword(user, 'wrong_current_password', await attempt.failed(), acting);
    await attempt.succeeded();
    await this.#setPassword(user, next, acting, 'self');
  }

  /** `caller`: who asks, so an admin cannot widen their own workspace patterns. */
  async update(
    username: string,
    changes: UserChanges,
    acting: Acting,
    caller: Pick<Principal, 'userId' | 'scope'>,
  ): Promise<User> {
    const user = await this.get(username);
    if (Object.keys(changes).length === 0) return user;
    await this.#keepAnAdmin(user, changes);
    assertNotWideningOwnScope(user, changes, caller);
    const { db, clock } = this.#deps;
    const { updated, revoked } = await inTransaction(db, async (trx) => {
      const updated = await updateUser(trx, user.id, changes);
      if (changes.disabled !== true) return { updated, revoked: {} };
      return {
        updated,
        revoked: {
          sessions_revoked: await revokeUserFamilies(trx, user.id, 'user_disabled', clock.now()),
          tokens_revoked: await revokeUserApiTokens(trx, user.id, clock.now()),
        },
      };
    });
    await this.#audit(acting, 'user.update', username, { ...changes, ...revoked });
    return updated;
  }

  /** Lifts a lockout of the account (the per-address counter expires by itself). */
  async unlock(username: string, acting: Acting): Promise<void> {
    await this.get(username);
    const wasCounted = await clearLoginFailures(this.#deps.db, userLockKey(username));
    await this.#audit(acting, 'auth.unlock', username, { had_failures: wasCounted });
  }

  /** Refuses to demote or disable the last enabled admin: nobody could manage users any more. */
  async #keepAnAdmin(user: User, changes: UserChanges): Promise<void> {
    const losesAdmin = (changes.role !== undefined && changes.role !== 'admin') || changes.disabled === true;
    if (user.role !== 'admin' || user.disabled || !losesAdmin) return;
    const others = (await this.list()).filter((u) => u.role === 'admin' && !u.disabled && u.id !== user.id);
    if (others.length === 0)
      throw new TideError(
        'conflict',
        `"${user.username}" is the last enabled admin; make another admin first`,
        {
          details: { username: user.username },
        },
      );
  }

  async #refuseCurrentPassword(
    user: User,
    reason: 'locked' | 'wrong_current_password',
    lockedNow: readonly string[],
    acting: Acting,
  ): Promise<never> {
    await this.#audit(acting, 'auth.password_change', user.username, { reason }, 'failure');
    await recordLockouts(this.#deps, acting, lockedNow);
    throw invalidCredentials();
  }

  async #setPassword(user: User, password: string, acting: Acting, by: 'self' | 'reset'): Promise<void> {
    assertPasswordAcceptable(password, user.username);
    const { db, clock } = this.#deps;
    const hash = await hashPassword(password);
    const revoked = await inTransaction(db, async (trx) => {
      await setPasswordHash(trx, user.id, hash, clock.now());
      return {
        sessions_revoked: await revokeUserFamilies(trx, user.id, 'password_change', clock.now()),
        tokens_revoked: await revokeUserApiTokens(trx, user.id, clock.now()),
      };
    });
    await this.#audit(acting, 'auth.password_change', user.username, { by, ...revoked });
  }

  #audit(
    acting: Acting,
    action: string,
    username: string,
    details: Record<string, unknown>,
    result: 'success' | 'failure' = 'success',
  ): Promise<void> {
    return recordAuthEvent(this.#deps, acting, {
      actor: acting.actor,
      action,
      target: `user:${username}`,
      result,
      details,
    });
  }
}

/**
 * An admin may narrow their own workspace patterns, never widen them: patterns are what limits an admin
 * account (or token) that someone else set up, so the account itself must not be able to lift them.
 */
function assertNotWideningOwnScope(
  user: User,
  changes: UserChanges,
  caller: Pick<Principal, 'userId' | 'scope'>,
): void {
  if (user.id !== caller.userId || changes.workspaces === undefined) return;
  const wanted = changes.workspaces ?? ['*'];
  const outside = wanted.filter((pattern) => !caller.scope.covers(pattern));
  if (outside.length === 0) return;
  const asked = changes.workspaces === null ? 'every workspace' : outside.join(', ');
  throw forbidden(`you cannot widen your own workspace patterns (${asked}); another admin can`, {
    patterns: outside,
  });
}
