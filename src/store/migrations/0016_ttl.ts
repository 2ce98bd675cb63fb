import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * TTL and reminders (src/workspace/ttl*.ts, decision 031, docs/ttl.md):
 * - `runs.ttl_seconds`: the TTL a manual deploy asked for (`{"ttl": "4h"}`), written with the run.
 * - `workspace_ttl`: one row per workspace whose manual deploy has a TTL running; written in the
 *   transaction that records the deploy's success, deleted by the one that records a later destroy or a
 *   scheduled take-over. The destroy itself is a ledger firing (`ttl` at `destroy_at`), so it happens once.
 * - `reminders_sent`: each reminder before a destroy, once: the primary key is (workspace, destroy
 *   instant, lead).
 */
export const ttl: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const instant = instantType(dialectOf(db));
    await db.schema.alterTable('runs').addColumn('ttl_seconds', 'integer').execute();
    await db.schema
      .createTable('workspace_ttl')
      .addColumn('workspace', 'text', (col) => col.primaryKey())
      .addColumn('destroy_at', instant, (col) => col.notNull())
      .addColumn('run_id', 'text', (col) => col.notNull())
      .addColumn('set_at', instant, (col) => col.notNull())
      .execute();
    await db.schema
      .createTable('reminders_sent')
      .addColumn('workspace', 'text', (col) => col.notNull())
      .addColumn('destroy_at', instant, (col) => col.notNull())
      .addColumn('lead_seconds', 'integer', (col) => col.notNull())
      .addColumn('kind', 'text', (col) => col.notNull())
      .addColumn('sent_at', instant, (col) => col.notNull())
      .addPrimaryKeyConstraint('reminders_sent_pkey', ['workspace', 'destroy_at', 'lead_seconds'])
      .execute();
    await db.schema
      .createIndex('reminders_sent_sent_at_idx')
      .on('reminders_sent')
      .column('sent_at')
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('reminders_sent').execute();
    await db.schema.dropTable('workspace_ttl').execute();
    await db.schema.alterTable('runs').dropColumn('ttl_seconds').execute();
  },
};
