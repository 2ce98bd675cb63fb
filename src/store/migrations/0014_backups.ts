import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Backups (src/backup/, decision 024): one row per backup archive written successfully, by `tide backup
 * create` or the scheduled backup of `tide serve`. The last row's `created_at` is what every replica
 * reports as `tide_backup_last_success_timestamp_seconds`, and what `tide doctor` checks.
 */
export const backups: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const instant = instantType(dialectOf(db));
    await db.schema
      .createTable('backups')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('trigger', 'text', (col) => col.notNull())
      .addColumn('file', 'text', (col) => col.notNull())
      .addColumn('size', dialectOf(db) === 'postgres' ? 'bigint' : 'integer', (col) => col.notNull())
      .addColumn('sha256', 'text', (col) => col.notNull())
      .execute();
    await db.schema.createIndex('backups_created_at_idx').on('backups').column('created_at').execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('backups').execute();
  },
};
