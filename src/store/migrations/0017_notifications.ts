import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Notifications (src/notification/, decision 032): a transactional outbox, one row per (event, target),
 * written in the transaction of the state change it announces; `dedupe_key` is unique, so an event is
 * never enqueued twice. The dispatcher claims due rows with a lease; each delivery attempt is one row of
 * `notification_deliveries` (the delivery log).
 */
export const notifications: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const instant = instantType(dialectOf(db));
    await db.schema
      .createTable('notification_outbox')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('dedupe_key', 'text', (col) => col.notNull().unique())
      .addColumn('event_type', 'text', (col) => col.notNull())
      .addColumn('workspace', 'text')
      .addColumn('target', 'text', (col) => col.notNull())
      .addColumn('target_type', 'text', (col) => col.notNull())
      .addColumn('destination', 'text', (col) => col.notNull())
      .addColumn('payload', 'text', (col) => col.notNull())
      .addColumn('state', 'text', (col) => col.notNull())
      .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('next_attempt_at', instant, (col) => col.notNull())
      .addColumn('lease_until', instant)
      .addColumn('claimed_by', 'text')
      .addColumn('last_error', 'text')
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('updated_at', instant, (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('notification_outbox_due_idx')
      .on('notification_outbox')
      .columns(['state', 'next_attempt_at'])
      .execute();
    await db.schema
      .createTable('notification_deliveries')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('outbox_id', 'text', (col) => col.notNull())
      .addColumn('event_type', 'text', (col) => col.notNull())
      .addColumn('workspace', 'text')
      .addColumn('target', 'text', (col) => col.notNull())
      .addColumn('target_type', 'text', (col) => col.notNull())
      .addColumn('attempt', 'integer', (col) => col.notNull())
      .addColumn('outcome', 'text', (col) => col.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('error', 'text')
      .addColumn('duration_ms', 'integer', (col) => col.notNull())
      .addColumn('created_at', instant, (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('notification_deliveries_created_idx')
      .on('notification_deliveries')
      .columns(['created_at', 'id'])
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('notification_deliveries').execute();
    await db.schema.dropTable('notification_outbox').execute();
  },
};
