/** The state backend's parts as the daemon (and the API's test fixture) wire them: one keyring, one clock. */
import type { Keyring } from '../secrets/encryption-key.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { StateBackendService } from './state-backend.service.ts';
import { StateCredentials } from './state-credential.ts';
import { StateService } from './state.service.ts';
import { importLocalState } from './local-state-import.ts';

export interface StateServicesOptions {
  readonly db: Db;
  readonly keyring: Keyring;
  readonly clock: Clock;
  /** The JWT secret every replica shares: run credentials are derived from it. */
  readonly jwtSecret: Uint8Array;
  /** TIDE_STATE_VERSIONS_KEEP; 0 keeps every version. */
  readonly keepVersions: number;
}

export interface StateServices {
  readonly credentials: StateCredentials;
  readonly backend: StateBackendService;
  readonly history: StateService;
}

export function stateServices(options: StateServicesOptions): StateServices {
  const credentials = new StateCredentials(options.jwtSecret);
  return {
    credentials,
    backend: new StateBackendService({ ...options, credentials }),
    history: new StateService(options),
  };
}

export interface OpenStateServicesOptions extends StateServicesOptions {
  readonly dataDir: string;
  readonly logger: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
}

/**
 * As the daemon starts them: versions still under a previous key re-encrypted (the state half of a key
 * rotation), then the local state files of earlier versions imported (local-state-import.ts).
 */
export async function openStateServices(options: OpenStateServicesOptions): Promise<StateServices> {
  const services = stateServices(options);
  const { reencrypted, unreadable } = await services.history.rotate();
  if (reencrypted > 0)
    options.logger.info(
      { reencrypted, key_id: options.keyring.current.id },
      'state versions re-encrypted with the current key',
    );
  if (unreadable.length > 0)
    options.logger.warn(
      { versions: unreadable, key_id: options.keyring.current.id },
      'state versions under a key that is not configured (TIDE_ENCRYPTION_KEY_PREVIOUS) cannot be decrypted',
    );
  await importLocalState({ ...options, now: options.clock.now() });
  return services;
}
