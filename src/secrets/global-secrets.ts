/**
 * Named global secrets (decision 033): values the configuration refers to by name and must never hold
 * in plain text — a webhook's HMAC key, a Slack or Teams incoming-webhook URL, the SMTP password. Stored
 * like sensitive workspace variables (AES-256-GCM, name bound as additional data), in the same table under
 * the reserved scope `_global_` (no workspace name can start with "_"), so key rotation, backups and
 * restores cover them with nothing added. Set through the API (`tide secret set`), never shown again.
 */
import { TideError } from '../errors/tide-error.ts';
import { toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import type { Keyring } from './encryption-key.ts';
import { openSecret, sealSecret } from './secret-cipher.ts';
import { deleteSecretRow, listSecretRows, upsertSecretRow } from './secrets.repo.ts';

export const GLOBAL_SECRET_SCOPE = '_global_';

export interface GlobalSecretView {
  readonly name: string;
  readonly updated_at: string;
}

export class GlobalSecrets {
  readonly #db: Db;
  readonly #keyring: Keyring;
  readonly #clock: Clock;

  constructor(deps: { db: Db; keyring: Keyring; clock: Clock }) {
    this.#db = deps.db;
    this.#keyring = deps.keyring;
    this.#clock = deps.clock;
  }

  async list(): Promise<GlobalSecretView[]> {
    return (await listSecretRows(this.#db, GLOBAL_SECRET_SCOPE)).map((row) => ({
      name: row.name,
      updated_at: toInstant(row.updated_at),
    }));
  }

  async set(name: string, value: string): Promise<void> {
    if (value === '') throw new TideError('validation_failed', `secret "${name}" cannot be empty`);
    const address = { workspace: GLOBAL_SECRET_SCOPE, name };
    await upsertSecretRow(this.#db, {
      ...address,
      ...sealSecret(this.#keyring, address, value),
      updated_at: toInstant(this.#clock.now()),
    });
  }

  async remove(name: string): Promise<void> {
    await deleteSecretRow(this.#db, GLOBAL_SECRET_SCOPE, name);
  }

  /** The plaintext; `not_found` naming the secret when it is not set (a delivery then fails, saying so). */
  async resolve(name: string): Promise<string> {
    const row = (await listSecretRows(this.#db, GLOBAL_SECRET_SCOPE)).find((r) => r.name === name);
    if (!row)
      throw new TideError('not_found', `global secret "${name}" is not set (tide secret set ${name})`);
    return openSecret(this.#keyring, row, row);
  }
}
