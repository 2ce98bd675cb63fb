import type { Kysely, Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Job chains (docs/jobs.md, decision 021):
 * - `job_chains`: the job runs queued together for one trigger (a deploy's or destroy's outcome, a cron
 *   firing or a manual run of a job with dependents, `@startup`).
 * - `job_chain_runs`: each run of a chain, the jobs it depends on and those not succeeded yet; a run
 *   waiting on any is not claimable. When one fails for good (no retry left), its dependents become
 *   `skipped`; a retry of a run takes its place in the chain.
 * - `job_startup_marker`: the leased marker that makes `@startup` fire once per cluster start.
 * The run state `skipped` needs no change here: `runs.state` is a text column.
 */
export const jobChains: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const instant = instantType(dialectOf(db));
    await db.schema
      .createTable('job_chains')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('workspace', 'text', (col) => col.notNull())
      .addColumn('trigger', 'text', (col) => col.notNull())
      .addColumn('source_run_id', 'text')
      .addColumn('created_at', instant, (col) => col.notNull())
      .execute();
    await db.schema
      .createTable('job_chain_runs')
      .addColumn('run_id', 'text', (col) => col.primaryKey())
      .addColumn('chain_id', 'text', (col) => col.notNull().references('job_chains.id').onDelete('cascade'))
      .addColumn('job', 'text', (col) => col.notNull())
      .addColumn('depends_on', 'text', (col) => col.notNull())
      .addColumn('waiting_on', 'text', (col) => col.notNull())
      .addColumn('retries', 'integer', (col) => col.notNull().defaultTo(0))
      .execute();
    await db.schema.createIndex('job_chain_runs_chain_idx').on('job_chain_runs').column('chain_id').execute();
    await db.schema
      .createTable('job_startup_marker')
      .addColumn('name', 'text', (col) => col.primaryKey())
      .addColumn('holder', 'text', (col) => col.notNull())
      .addColumn('heartbeat_at', instant, (col) => col.notNull())
      .addColumn('fired_at', instant)
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('job_startup_marker').execute();
    await db.schema.dropTable('job_chain_runs').execute();
    await db.schema.dropTable('job_chains').execute();
  },
};
