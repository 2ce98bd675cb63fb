import { type Kysely, type Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

export const RATE_LIMITS_PK = 'rate_limits_pk';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */
export const auditAndRateLimits: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const dialect = dialectOf(db);
    const instant = instantType(dialect);
    const bigint = dialect === 'postgres' ? 'bigint' : 'integer';

    // Ids are assigned by the appender (head + 1) under the chain lock, not by a sequence: a sequence
    // leaves gaps when a transaction rolls back, and a gap must mean a deleted entry.
    await db.schema
      .createTable('audit_log')
      .addColumn('id', bigint, (col) => col.primaryKey())
      .addColumn('at', instant, (col) => col.notNull())
      .addColumn('actor', 'text', (col) => col.notNull())
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('target', 'text')
      .addColumn('result', 'text', (col) => col.notNull())
      .addColumn('source_ip', 'text')
      .addColumn('request_id', 'text')
      .addColumn('details', 'text')
      .addColumn('prev_hash', 'text', (col) => col.notNull())
      .addColumn('hash', 'text', (col) => col.notNull())
      .execute();
    // The list filters, each ending in id so newest-first pages walk the index.
    for (const column of ['actor', 'action', 'target', 'at']) {
      await db.schema
        .createIndex(`audit_log_${column}_idx`)
        .on('audit_log')
        .columns([column, 'id'])
        .execute();
    }

    // The chain head (one row, id 1): the last entry's id and hash. Appends read and move it under the
    // lock; verification compares it with the last row, so deleting or rewriting the newest entries is
    // detected too, which the chain alone cannot show.
    await db.schema
      .createTable('audit_log_head')
      .addColumn('id', 'integer', (col) => col.primaryKey())
      .addColumn('last_id', bigint, (col) => col.notNull())
      .addColumn('last_hash', 'text', (col) => col.notNull())
      .execute();

    // One row per key and fixed window; expires_at lets prune() drop finished windows of any length.
    await db.schema
      .createTable('rate_limits')
      .addColumn('key', 'text', (col) => col.notNull())
      .addColumn('window_start', instant, (col) => col.notNull())
      .addColumn('expires_at', instant, (col) => col.notNull())
      .addColumn('count', 'integer', (col) => col.notNull())
      .addPrimaryKeyConstraint(RATE_LIMITS_PK, ['key', 'window_start'])
      .execute();
    await db.schema.createIndex('rate_limits_expires_idx').on('rate_limits').column('expires_at').execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    for (const table of ['rate_limits', 'audit_log_head', 'audit_log']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
