/**
 * A password check under the lockout (SPEC §7), shared by login and `POST /me/password`. The check is
 * reserved before argon2 runs, on the account (when it exists) and on the source address, so parallel
 * guesses cannot verify more passwords than the thresholds allow; the caller then settles it as a
 * success or a failure. Locks are audited (`auth.lockout`), logged and counted here.
 */
import { recordAuthEvent, type RequestContext } from './auth-audit.ts';
import { IP_THRESHOLD_FACTOR, type AuthDeps } from './auth-settings.ts';
import {
  ipLockKey,
  recordFailure,
  recordSuccess,
  releaseAttempt,
  reserveAttempt,
  userLockKey,
  type CountedKey,
  type LockoutPolicy,
} from './login-failures.repo.ts';

export interface PasswordAttempt {
  /** The password was right: the account's failures start over; the address gets its slot back. */
  succeeded(): Promise<void>;
  /** It was wrong: the slot becomes a failure on each key. Returns the keys this failure locked. */
  failed(): Promise<string[]>;
}

type AttemptDeps = Pick<AuthDeps, 'db' | 'clock' | 'settings'>;

/**
 * Reserves a password check for `username` (null: no such account; only the address counts — counting
 * made-up names would let anyone fill the table, and their lock could not be observed anyway) from
 * `sourceIp`. Null when the account or the address is locked, or has its threshold of failures and
 * checks in flight: the caller must then refuse without verifying anything.
 */
export async function reservePasswordCheck(
  deps: AttemptDeps,
  username: string | null,
  sourceIp: string | null,
): Promise<PasswordAttempt | null> {
  const { db, clock, settings } = deps;
  const address: CountedKey = { key: ipLockKey(sourceIp ?? 'unknown'), policy: ipPolicy(settings.lockout) };
  const account: CountedKey | null =
    username === null ? null : { key: userLockKey(username), policy: settings.lockout };
  const keys = account ? [address, account] : [address];
  if (!(await reserveAttempt(db, keys, clock.now()))) return null;
  return {
    async succeeded() {
      // The address keeps its failures: one valid account must not buy an address more guesses at others.
      await releaseAttempt(db, address.key);
      if (account) await recordSuccess(db, account.key);
    },
    async failed() {
      const locked: string[] = [];
      for (const { key, policy } of keys)
        if ((await recordFailure(db, key, policy, clock.now())).lockedNow) locked.push(key);
      return locked;
    },
  };
}

/** Audits, logs and counts each key a failure has just locked. */
export async function recordLockouts(
  deps: Pick<AuthDeps, 'audit' | 'logger' | 'settings' | 'metrics'>,
  context: RequestContext,
  lockedKeys: readonly string[],
): Promise<void> {
  const { metrics, settings, logger } = deps;
  for (const key of lockedKeys) {
    metrics?.lockoutsTotal.inc();
    logger.warn({ key }, 'login locked out after repeated failures');
    await recordAuthEvent(deps, context, {
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
}

function ipPolicy(policy: LockoutPolicy): LockoutPolicy {
  return { threshold: policy.threshold * IP_THRESHOLD_FACTOR, durationMs: policy.durationMs };
}
