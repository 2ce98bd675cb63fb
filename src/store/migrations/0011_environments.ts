import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Blue/green environments (src/environment/, docs/environments.md):
 * - `environment_assignments`: which workspace each environment points at, once a switch has been
 *   recorded (until then the file's `assigned_workspace` holds), and the switch in progress, if any
 *   (`switch_id`, `switching_to`, `switch_started_at`): one switch per environment at a time, on every
 *   replica.
 * - `environment_switches`: every switch asked for, with its outcome, health checks and the captured
 *   output of each action (the restore included).
 */
export const environments: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const dialect = dialectOf(db);
    const instant = instantType(dialect);
    await db.schema
      .createTable('environment_assignments')
      .addColumn('environment', 'text', (col) => col.primaryKey())
      .addColumn('workspace', 'text')
      .addColumn('assigned_at', instant)
      .addColumn('assigned_by', 'text')
      .addColumn('switch_id', 'text')
      .addColumn('switching_to', 'text')
      .addColumn('switch_started_at', instant)
      .execute();
    await db.schema
      .createTable('environment_switches')
      // Insertion order: switches recorded in the same millisecond still list newest first.
      .addColumn('seq', dialect === 'postgres' ? 'serial' : 'integer', (col) =>
        dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement(),
      )
      .addColumn('id', 'text', (col) => col.notNull().unique())
      .addColumn('environment', 'text', (col) => col.notNull())
      .addColumn('from_workspace', 'text')
      .addColumn('to_workspace', 'text', (col) => col.notNull())
      .addColumn('actor', 'text', (col) => col.notNull())
      .addColumn('result', 'text', (col) => col.notNull())
      .addColumn('reason', 'text')
      .addColumn('details', 'text', (col) => col.notNull())
      .addColumn('started_at', instant, (col) => col.notNull())
      .addColumn('finished_at', instant, (col) => col.notNull())
      .execute();
    await db.schema
      .createIndex('environment_switches_environment_idx')
      .on('environment_switches')
      .columns(['environment', 'seq'])
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('environment_switches').execute();
    await db.schema.dropTable('environment_assignments').execute();
  },
};
