import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Overrides (src/workspace/override.ts, docs/overrides.md, decision 030): time-boxed exceptions to a
 * workspace's schedule. A row is active while `ends_at` is in the future and neither `removed_at` (DELETE)
 * nor `consumed_at` (a skip_next that skipped its firing) is set; ended rows stay for history until
 * retention deletes them.
 */
export const overrides: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const instant = instantType(dialectOf(db));
    await db.schema
      .createTable('overrides')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('workspace', 'text', (col) => col.notNull())
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('action', 'text')
      .addColumn('ends_at', instant, (col) => col.notNull())
      .addColumn('reason', 'text')
      .addColumn('actor', 'text', (col) => col.notNull())
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('removed_at', instant)
      .addColumn('removed_by', 'text')
      .addColumn('consumed_at', instant)
      .addColumn('consumed_firing_id', 'integer')
      .execute();
    await db.schema
      .createIndex('overrides_workspace_idx')
      .on('overrides')
      .columns(['workspace', 'ends_at'])
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('overrides').execute();
  },
};
