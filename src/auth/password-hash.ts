/**
 * argon2id password hashing (SPEC §7). Parameters are one of OWASP's equivalent argon2id settings
 * (7 MiB memory, 5 iterations, 1 lane; "an equal level of defense" to 19 MiB and 2 iterations, trading
 * memory for CPU): about 20 ms per hash here, slow enough for offline guessing, cheap enough that a burst of
 * logins does not starve the server. The smaller block matters to a server meant to stay small: glibc keeps
 * a hash's block in the arena of the thread that hashed, so 19 MiB stayed resident per libuv thread after
 * a login (decision 047). Parameters are stored in each hash, so older hashes keep verifying, and a login
 * with one re-hashes the password with these (passwordNeedsRehash).
 */
import argon2 from 'argon2';

export const HASH_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 7_168,
  timeCost: 5,
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

/** Whether a hash that just verified was made with other parameters than HASH_OPTIONS. */
export function passwordNeedsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, HASH_OPTIONS);
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
