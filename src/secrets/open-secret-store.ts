/**
 * The secret store as the daemon starts it: keyring loaded (or, in development, generated), then every
 * value still under a previous key re-encrypted with the current one — the second half of a key
 * rotation (docs/security.md), done at start so an operator only restarts.
 */
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { loadKeyring, type LoadKeyringOptions } from './encryption-key.ts';
import { SecretStore } from './secret-store.ts';

export interface OpenSecretStoreOptions extends Omit<LoadKeyringOptions, 'logger'> {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
}

export async function openSecretStore(options: OpenSecretStoreOptions): Promise<SecretStore> {
  const { db, clock, logger } = options;
  const keyring = await loadKeyring(options);
  const store = new SecretStore({ db, clock, keyring });
  const { reencrypted, unreadable } = await store.rotate();
  if (reencrypted > 0) {
    logger.info(
      { reencrypted, key_id: keyring.current.id },
      'sensitive values re-encrypted with the current key',
    );
  }
  if (unreadable.length > 0) {
    // Not fatal: the other workspaces run; a run of these fails naming the variable, until the old key
    // is configured again or the value is set anew.
    logger.warn(
      { variables: unreadable, key_id: keyring.current.id },
      'sensitive values under a key that is not configured (TIDE_ENCRYPTION_KEY_PREVIOUS) cannot be decrypted',
    );
  }
  return store;
}
