import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

export const WORKSPACE_SECRETS_PK = 'workspace_secrets_pk';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Sensitive variable values, encrypted (src/secrets/secret-cipher.ts): never a plaintext column. Byte
 * fields are base64 text so both dialects store and compare them the same way; `key_id` names the key
 * that encrypted the row, which is what makes key rotation possible.
 */
export const workspaceSecrets: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const instant = instantType(dialectOf(db));
    await db.schema
      .createTable('workspace_secrets')
      .addColumn('workspace', 'text', (col) => col.notNull())
      .addColumn('name', 'text', (col) => col.notNull())
      .addColumn('ciphertext', 'text', (col) => col.notNull())
      .addColumn('iv', 'text', (col) => col.notNull())
      .addColumn('tag', 'text', (col) => col.notNull())
      .addColumn('key_id', 'text', (col) => col.notNull())
      .addColumn('updated_at', instant, (col) => col.notNull())
      .addPrimaryKeyConstraint(WORKSPACE_SECRETS_PK, ['workspace', 'name'])
      .execute();
    // Rotation re-encrypts by key: rows still under an old key are found without a scan.
    await db.schema
      .createIndex('workspace_secrets_key_idx')
      .on('workspace_secrets')
      .column('key_id')
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('workspace_secrets').execute();
  },
};
