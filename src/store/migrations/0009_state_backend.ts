import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Tide as the engine's state backend (SPEC §5, src/state/):
 * - `state_versions`: every state a run (or a rollback, or the import of a local file) wrote, gzip-compressed
 *   and AES-256-GCM encrypted like sensitive values; serial, lineage and checksum in clear for listings.
 *   A row with `deleted` = 1 records that the engine deleted the state (no content).
 * - `state_locks`: the engine's lock, one row per state key, naming the run that holds it, so a lock
 *   held by a run that is no longer live can be taken over (fencing, docs/algorithms.md).
 * The local state files of earlier versions are imported at start (src/state/local-state-import.ts).
 */
export const stateBackend: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const dialect = dialectOf(db);
    const instant = instantType(dialect);
    await db.schema
      .createTable('state_versions')
      .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (col) =>
        dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement(),
      )
      .addColumn('state_key', 'text', (col) => col.notNull())
      .addColumn('serial', 'integer', (col) => col.notNull())
      .addColumn('lineage', 'text', (col) => col.notNull())
      .addColumn('checksum', 'text', (col) => col.notNull())
      .addColumn('size', 'integer', (col) => col.notNull())
      .addColumn('deleted', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('run_id', 'text')
      .addColumn('written_by', 'text', (col) => col.notNull())
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('ciphertext', 'text', (col) => col.notNull())
      .addColumn('iv', 'text', (col) => col.notNull())
      .addColumn('tag', 'text', (col) => col.notNull())
      .addColumn('key_id', 'text', (col) => col.notNull())
      .execute();
    // The latest version of a key, and its history newest first.
    await db.schema
      .createIndex('state_versions_key_idx')
      .on('state_versions')
      .columns(['state_key', 'id'])
      .execute();
    // Rotation re-encrypts by key, like workspace_secrets.
    await db.schema.createIndex('state_versions_key_id_idx').on('state_versions').column('key_id').execute();
    await db.schema
      .createTable('state_locks')
      .addColumn('state_key', 'text', (col) => col.primaryKey())
      .addColumn('lock_id', 'text', (col) => col.notNull())
      .addColumn('run_id', 'text', (col) => col.notNull())
      .addColumn('info', 'text', (col) => col.notNull())
      .addColumn('created_at', instant, (col) => col.notNull())
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('state_locks').execute();
    await db.schema.dropTable('state_versions').execute();
  },
};
