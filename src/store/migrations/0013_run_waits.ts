import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Workspace dependencies at run time (src/workspace-dependency/, decision 022): `run_waits` holds one row
 * per (waiting run, awaited run). A queued run with a row whose awaited run has not succeeded is not
 * claimable; when an awaited run ends any other way, the dependency sweep cancels its waiters.
 * `dependency` names the awaited run's workspace as the chain was planned (for reasons and views).
 */
export const runWaits: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('run_waits')
      .addColumn('waiter_run_id', 'text', (col) => col.notNull().references('runs.id').onDelete('cascade'))
      .addColumn('awaited_run_id', 'text', (col) => col.notNull().references('runs.id').onDelete('cascade'))
      .addColumn('dependency', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint('run_waits_pkey', ['waiter_run_id', 'awaited_run_id'])
      .execute();
    // The sweep and the chain view go from an awaited run to its waiters.
    await db.schema.createIndex('run_waits_awaited_idx').on('run_waits').column('awaited_run_id').execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('run_waits').execute();
  },
};
