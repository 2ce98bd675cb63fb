/** `workspace_secrets` rows: sealed values only; encryption happens in the caller, before any write. */
import type { Db, Instant } from '../store/schema.ts';
import type { SealedSecret } from './secret-cipher.ts';

export interface SecretRow extends SealedSecret {
  readonly workspace: string;
  readonly name: string;
  readonly updated_at: Instant;
}

export async function listSecretRows(db: Db, workspace: string): Promise<SecretRow[]> {
  return db
    .selectFrom('workspace_secrets')
    .selectAll()
    .where('workspace', '=', workspace)
    .orderBy('name')
    .execute();
}

/** Rows encrypted with a key other than `keyId` (candidates for re-encryption), in a stable order. */
export async function listRowsNotUnderKey(db: Db, keyId: string): Promise<SecretRow[]> {
  return db
    .selectFrom('workspace_secrets')
    .selectAll()
    .where('key_id', '!=', keyId)
    .orderBy('workspace')
    .orderBy('name')
    .execute();
}

export async function upsertSecretRow(db: Db, row: SecretRow): Promise<void> {
  const { ciphertext, iv, tag, key_id, updated_at } = row;
  await db
    .insertInto('workspace_secrets')
    .values({ ...row })
    .onConflict((conflict) =>
      conflict.columns(['workspace', 'name']).doUpdateSet({ ciphertext, iv, tag, key_id, updated_at }),
    )
    .execute();
}

/**
 * Replaces a row's sealed value only if it is still the one that was read (same ciphertext), so a value
 * set through the API while a rotation runs is never overwritten with the older one. True when replaced.
 */
export async function replaceSealedValue(db: Db, before: SecretRow, after: SealedSecret): Promise<boolean> {
  const result = await db
    .updateTable('workspace_secrets')
    .set({ ...after })
    .where('workspace', '=', before.workspace)
    .where('name', '=', before.name)
    .where('ciphertext', '=', before.ciphertext)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteSecretRow(db: Db, workspace: string, name: string): Promise<void> {
  await db
    .deleteFrom('workspace_secrets')
    .where('workspace', '=', workspace)
    .where('name', '=', name)
    .execute();
}
