/**
 * Password login with lockout (SPEC §7). Unknown user, wrong password, disabled account and locked
 * account all end in the same `401 invalid_credentials`, after the same argon2 work, so neither the
 * answer nor its timing tells which usernames exist or which are locked. Every outcome is audited.
 *
 * Counters: per account (threshold failures lock it) and per source address (IP_THRESHOLD_FACTOR times
 * that). A lock refuses even the right password until it expires or an admin unlocks the account; a
 * success clears the account's counter, never the address's (else one valid account would let an
 * address keep guessing at others).
 */
import { recordAuthEvent, type RequestContext } from './auth-audit.ts';
import { invalidCredentials } from './auth-errors.ts';
import { IP_THRESHOLD_FACTOR, type AuthDeps } from './auth-settings.ts';
import {
  clearLoginFailures,
  ipLockKey,
  isLocked,
  recordLoginFailure,
  userLockKey,
  type LockoutPolicy,
} from './login-failures.repo.ts';
import { spendVerifyTime, verifyPassword } from './password-hash.ts';
import { getUserByName } from './user.repo.ts';
import { usernameSchema, type User } from './user.ts';

type FailureReason = 'unknown_user' | 'wrong_password' | 'disabled' | 'locked';

export class LoginService {
  readonly #deps: AuthDeps;

  constructor(deps: AuthDeps) {
    this.#deps = deps;
  }

  /** The user whose password this is, or throws `invalid_credentials`. */
  async login(credentials: { username: string; password: string }, context: RequestContext): Promise<User> {
    const { db, clock } = this.#deps;
    const username = credentials.username.toLowerCase();
    const known = usernameSchema.safeParse(username).success;
    const keys = [...(known ? [userLockKey(username)] : []), ipLockKey(context.sourceIp ?? 'unknown')];
    if (await isLocked(db, keys, clock.now())) {
      await spendVerifyTime(credentials.password);
      return this.#fail(username, known, 'locked', context);
    }
    const user = known ? await getUserByName(db, username) : null;
    if (!user) {
      await spendVerifyTime(credentials.password);
      return this.#fail(username, known, 'unknown_user', context);
    }
    const matches = await verifyPassword(user.passwordHash, credentials.password);
    if (!matches || user.disabled)
      return this.#fail(username, true, matches ? 'disabled' : 'wrong_password', context);
    await clearLoginFailures(db, userLockKey(username));
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
  ): Promise<never> {
    const { metrics, settings } = this.#deps;
    metrics?.loginFailuresTotal.inc();
    // While locked, failures are not counted again: the lock's end stays where it was set.
    const lockedNow = reason === 'locked' ? [] : await this.#count(username, reason, context);
    await recordAuthEvent(this.#deps, context, {
      actor: 'anonymous',
      action: 'auth.login',
      target: known ? `user:${username}` : null,
      result: 'failure',
      details: { reason },
    });
    for (const key of lockedNow) {
      metrics?.lockoutsTotal.inc();
      this.#deps.logger.warn({ key }, 'login locked out after repeated failures');
      await recordAuthEvent(this.#deps, context, {
        actor: 'anonymous',
        action: 'auth.lockout',
        target: key,
        result: 'denied',
        details: {
          threshold: key.startsWith('user:')
            ? settings.lockout.threshold
            : ipPolicy(settings.lockout).threshold,
        },
      });
    }
    throw invalidCredentials();
  }

  /**
   * Counts the failure against the address, and against the account when it exists (counting made-up
   * names would let anyone fill the table; their lock could not be observed anyway). Returns the keys
   * this failure locked.
   */
  async #count(username: string, reason: FailureReason, context: RequestContext): Promise<string[]> {
    const { db, clock, settings } = this.#deps;
    const now = clock.now();
    const counted: [string, LockoutPolicy][] = [
      [ipLockKey(context.sourceIp ?? 'unknown'), ipPolicy(settings.lockout)],
    ];
    if (reason !== 'unknown_user') counted.push([userLockKey(username), settings.lockout]);
    const locked: string[] = [];
    for (const [key, policy] of counted) {
      if ((await recordLoginFailure(db, key, policy, now)).lockedNow) locked.push(key);
    }
    return locked;
  }
}

function ipPolicy(policy: LockoutPolicy): LockoutPolicy {
  return { threshold: policy.threshold * IP_THRESHOLD_FACTOR, durationMs: policy.durationMs };
}
