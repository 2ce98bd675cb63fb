/**
 * Password login with lockout (SPEC §7). Unknown user, wrong password, disabled account and locked
 * account all end in the same `401 invalid_credentials`, after the same argon2 work, so neither the
 * answer nor its timing tells which usernames exist or which are locked. Every outcome is audited.
 *
 * Each attempt first reserves a password check (password-attempts.ts) on the account and the source
 * address; only a reserved attempt verifies the password. Counters: per account (threshold failures
 * lock it) and per source address (IP_THRESHOLD_FACTOR times that). A lock refuses even the right
 * password until it expires or an admin unlocks the account; a success starts the account's count over,
 * never the address's (else one valid account would let an address keep guessing at others).
 */
import { recordAuthEvent, type RequestContext } from './auth-audit.ts';
import { invalidCredentials } from './auth-errors.ts';
import type { AuthDeps } from './auth-settings.ts';
import { recordLockouts, reservePasswordCheck } from './password-attempts.ts';
import { hashPassword, passwordNeedsRehash, spendVerifyTime, verifyPassword } from './password-hash.ts';
import { getUserByName, replacePasswordHash } from './user.repo.ts';
import { usernameSchema, type User } from './user.ts';

type FailureReason = 'unknown_user' | 'wrong_password' | 'disabled' | 'locked';

export class LoginService {
  readonly #deps: AuthDeps;

  constructor(deps: AuthDeps) {
    this.#deps = deps;
  }

  /** The user whose password this is, or throws `invalid_credentials`. */
  async login(credentials: { username: string; password: string }, context: RequestContext): Promise<User> {
    const username = credentials.username.toLowerCase();
    const known = usernameSchema.safeParse(username).success;
    const user = known ? await getUserByName(this.#deps.db, username) : null;
    const attempt = await reservePasswordCheck(this.#deps, user?.username ?? null, context.sourceIp);
    if (!attempt) {
      // While locked nothing is counted: the lock's end stays where it was set.
      await spendVerifyTime(credentials.password);
      return this.#fail(username, known, 'locked', context, []);
    }
    if (!user) {
      await spendVerifyTime(credentials.password);
      return this.#fail(username, known, 'unknown_user', context, await attempt.failed());
    }
    const matches = await verifyPassword(user.passwordHash, credentials.password);
    if (!matches || user.disabled) {
      const reason = matches ? 'disabled' : 'wrong_password';
      return this.#fail(username, true, reason, context, await attempt.failed());
    }
    await attempt.succeeded();
    if (passwordNeedsRehash(user.passwordHash)) {
      // The only moment the password is at hand: its hash moves to the current parameters.
      await replacePasswordHash(
        this.#deps.db,
        user.id,
        user.passwordHash,
        await hashPassword(credentials.password),
      );
    }
    await recordAuthEvent(this.#deps, context, {
      actor: user.username,
      action: 'auth.login',
      target: `user:${user.username}`,
      result: 'success',
    });
    return user;
  }

  async #fail(
    username: string,
    known: boolean,
    reason: FailureReason,
    context: RequestContext,
    lockedNow: readonly string[],
  ): Promise<never> {
    this.#deps.metrics?.loginFailuresTotal.inc();
    await recordAuthEvent(this.#deps, context, {
      actor: 'anonymous',
      action: 'auth.login',
      target: known ? `user:${username}` : null,
      result: 'failure',
      details: { reason },
    });
    await recordLockouts(this.#deps, context, lockedNow);
    throw invalidCredentials();
  }
}
