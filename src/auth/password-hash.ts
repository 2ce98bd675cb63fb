/**
 * argon2id password hashing (SPEC §7). Parameters are OWASP's recommended minimum for argon2id
 * (19 MiB memory, 2 iterations, 1 lane): about 20 ms per hash here, slow enough for offline guessing,
 * cheap enough that a burst of logins does not starve the server. They are stored in each hash, so
 * raising them later keeps old hashes verifiable.
 */
import argon2 from 'argon2';

export const HASH_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, HASH_OPTIONS);
}

/** False for a wrong password and for a malformed hash (a disabled placeholder): never throws on those. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;

/**
 * Verifies against a throwaway hash, so a login for an unknown or locked account takes as long as one
 * for a real account: the response time does not tell which usernames exist.
 */
export async function spendVerifyTime(password: string): Promise<void> {
  dummy ??= hashPassword('tide-timing-equaliser-not-a-password');
  await verifyPassword(await dummy, password);
}
