/**
 * Sensitive variables (SPEC §3, §7): values come only from the API, are stored encrypted, and leave this
 * module in plaintext only through `resolve`, which the runner calls to pass them to the engine as
 * TF_VAR_*. What the API shows is whether a value is set and when, never the value.
 */
import { TideError } from '../errors/tide-error.ts';
import { inTransaction, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import type { Keyring } from './encryption-key.ts';
import { openSecret, sealSecret } from './secret-cipher.ts';
import {
  deleteSecretRow,
  listRowsNotUnderKey,
  listSecretRows,
  replaceSealedValue,
  upsertSecretRow,
} from './secrets.repo.ts';

export interface SensitiveVariableView {
  readonly name: string;
  readonly set: boolean;
  /** When the value was last set (ISO 8601 UTC); null while unset. */
  readonly updated_at: string | null;
}

/** Name → new value, or null to delete the stored value. */
export type SecretChanges = Readonly<Record<string, string | null>>;

export interface RotationResult {
  readonly reencrypted: number;
  /** `workspace/name` of rows no configured key opens (unknown key, altered row): they stay as they are. */
  readonly unreadable: readonly string[];
}

export interface SecretStoreDeps {
  readonly db: Db;
  readonly keyring: Keyring;
  readonly clock: Clock;
}

export class SecretStore {
  readonly #deps: SecretStoreDeps;

  constructor(deps: SecretStoreDeps) {
    this.#deps = deps;
  }

  /** The keys sensitive values are sealed with; state versions use the same ones (src/state/). */
  get keyring(): Keyring {
    return this.#deps.keyring;
  }

  /** One entry per declared name, in declaration order; values stored for undeclared names are not shown. */
  async describe(workspace: string, declared: readonly string[]): Promise<SensitiveVariableView[]> {
    const rows = new Map((await listSecretRows(this.#deps.db, workspace)).map((row) => [row.name, row]));
    return declared.map((name) => {
      const row = rows.get(name);
      return { name, set: row !== undefined, updated_at: row ? toInstant(row.updated_at) : null };
    });
  }

  /**
   * Applies every change in one transaction, or none: a name the workspace does not declare in
   * `sensitive_variables` rejects the whole request (400, naming each such name).
   */
  async update(workspace: string, declared: readonly string[], changes: SecretChanges): Promise<void> {
    const entries = Object.entries(changes);
    const undeclared = entries.map(([name]) => name).filter((name) => !declared.includes(name));
    if (undeclared.length > 0) {
      const known = declared.length > 0 ? declared.join(', ') : 'none';
      throw new TideError(
        'validation_failed',
        `not sensitive variables of workspace "${workspace}": ${undeclared.join(', ')} (declared: ${known})`,
        {
          details: {
            undeclared,
            problems: undeclared.map((name) => ({
              path: `body.sensitive.${name}`,
              message: `"${name}" is not in the workspace's sensitive_variables`,
            })),
          },
        },
      );
    }
    const { db, keyring, clock } = this.#deps;
    const updatedAt = toInstant(clock.now());
    await inTransaction(db, async (trx) => {
      for (const [name, value] of entries) {
        if (value === null) await deleteSecretRow(trx, workspace, name);
        else {
          const sealed = sealSecret(keyring, { workspace, name }, value);
          await upsertSecretRow(trx, { workspace, name, ...sealed, updated_at: updatedAt });
        }
      }
    });
  }

  /** Decrypted values of the declared names that are set. Throws, naming the variable, if one cannot be read. */
  async resolve(workspace: string, declared: readonly string[]): Promise<Record<string, string>> {
    const rows = await listSecretRows(this.#deps.db, workspace);
    const values: Record<string, string> = {};
    for (const row of rows) {
      if (declared.includes(row.name)) values[row.name] = openSecret(this.#deps.keyring, row, row);
    }
    return values;
  }

  /**
   * Re-encrypts every row under an older (still configured) key with the current one. Idempotent and
   * safe beside API writes: a row changed since it was read is left alone (it is under the new key).
   */
  async rotate(): Promise<RotationResult> {
    const { db, keyring } = this.#deps;
    let reencrypted = 0;
    const unreadable: string[] = [];
    for (const row of await listRowsNotUnderKey(db, keyring.current.id)) {
      let value: string;
      try {
        value = openSecret(keyring, row, row);
      } catch {
        // Unknown key or altered row: reported, and left for the operator (resolve names it at run time).
        unreadable.push(`${row.workspace}/${row.name}`);
        continue;
      }
      if (await replaceSealedValue(db, row, sealSecret(keyring, row, value))) reencrypted++;
    }
    return { reencrypted, unreadable };
  }
}
