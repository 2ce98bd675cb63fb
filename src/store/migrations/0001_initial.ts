import { sql, type Kysely, type Migration } from 'kysely';
import { dialectOf, instantType } from '../dialect.ts';

/** Names the repositories match violations against (PostgreSQL reports constraint names). */
export const FIRINGS_OCCURRENCE_UNIQUE = 'firings_occurrence_unique';
export const RUNS_ONE_RUNNING_PER_LOCK_KEY = 'runs_one_running_per_lock_key';
export const RUN_LOG_CHUNKS_PK = 'run_log_chunks_pk';
export const RUNS_ONE_RETRY_PER_RUN = 'runs_one_retry_per_run';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */
export const initial: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const dialect = dialectOf(db);
    const instant = instantType(dialect);

    await db.schema
      .createTable('workspace_status')
      .addColumn('workspace', 'text', (col) => col.primaryKey())
      .addColumn('status', 'text', (col) => col.notNull().defaultTo('destroyed'))
      .addColumn('mode', 'text')
      .addColumn('drifted', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('enabled_override', 'integer')
      .addColumn('config_hash', 'text')
      .addColumn('config_error', 'text')
      .addColumn('last_run_id', 'text')
      .addColumn('deployed_at', instant)
      .addColumn('destroyed_at', instant)
      .addColumn('status_changed_at', instant)
      .addColumn('updated_at', instant, (col) => col.notNull())
      .execute();

    // AUTOINCREMENT on SQLite: ids are never reused, so they only grow, like a PostgreSQL sequence.
    await db.schema
      .createTable('firings')
      .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (col) =>
        dialect === 'postgres' ? col.primaryKey() : col.primaryKey().autoIncrement(),
      )
      .addColumn('workspace', 'text', (col) => col.notNull())
      .addColumn('schedule_key', 'text', (col) => col.notNull())
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('mode', 'text')
      .addColumn('scheduled_at', instant, (col) => col.notNull())
      .addColumn('outcome', 'text', (col) => col.notNull())
      .addColumn('reason', 'text')
      .addColumn('run_id', 'text')
      .addColumn('recorded_at', instant, (col) => col.notNull())
      // The ledger's whole point: one occurrence of a schedule is recorded once, however many replicas.
      .addUniqueConstraint(FIRINGS_OCCURRENCE_UNIQUE, ['workspace', 'schedule_key', 'scheduled_at'])
      .execute();
    await db.schema
      .createIndex('firings_workspace_newest_idx')
      .on('firings')
      .columns(['workspace', 'scheduled_at desc', 'id desc'])
      .execute();

    await db.schema
      .createTable('runs')
      .addColumn('id', 'text', (col) => col.primaryKey())
      .addColumn('workspace', 'text', (col) => col.notNull())
      .addColumn('job', 'text')
      .addColumn('action', 'text', (col) => col.notNull())
      .addColumn('mode', 'text')
      .addColumn('state', 'text', (col) => col.notNull())
      .addColumn('trigger', 'text', (col) => col.notNull())
      .addColumn('actor', 'text')
      .addColumn('attempt', 'integer', (col) => col.notNull().defaultTo(1))
      .addColumn('retry_of', 'text')
      .addColumn('firing_id', dialect === 'postgres' ? 'bigint' : 'integer')
      .addColumn('lock_key', 'text', (col) => col.notNull())
      .addColumn('priority', 'integer', (col) => col.notNull())
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('started_at', instant)
      .addColumn('finished_at', instant)
      .addColumn('exit_code', 'integer')
      .addColumn('reason', 'text')
      .addColumn('plan_summary', 'text')
      .addColumn('outputs', 'text')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_expires_at', instant)
      .addColumn('fencing_token', 'integer', (col) => col.notNull().defaultTo(0))
      .addColumn('config_hash', 'text')
      // Retries (backoff) and jitter delay a queued run: it is not claimed before this instant.
      .addColumn('not_before', instant)
      // Set by a cancel request; the runner holding the lease sees it at its next heartbeat.
      .addColumn('cancel_requested_at', instant)
      .execute();
    // One active run per workspace, enforced by the database (SPEC §4), not only by the claim query.
    await db.schema
      .createIndex(RUNS_ONE_RUNNING_PER_LOCK_KEY)
      .on('runs')
      .column('lock_key')
      .unique()
      .where(sql.ref('state'), '=', 'running')
      .execute();
    await db.schema
      .createIndex('runs_claim_idx')
      .on('runs')
      .columns(['state', 'priority', 'created_at'])
      .execute();
    await db.schema
      .createIndex('runs_workspace_created_idx')
      .on('runs')
      .columns(['workspace', 'created_at'])
      .execute();
    await db.schema.createIndex('runs_created_idx').on('runs').column('created_at').execute();
    // A failed run is retried at most once (its retry may fail and be retried in turn): whichever
    // replica decides the retry first wins, the others hit this index.
    await db.schema.createIndex(RUNS_ONE_RETRY_PER_RUN).on('runs').column('retry_of').unique().execute();

    await db.schema
      .createTable('run_log_chunks')
      .addColumn('run_id', 'text', (col) => col.notNull().references('runs.id').onDelete('cascade'))
      .addColumn('seq', 'integer', (col) => col.notNull())
      .addColumn('created_at', instant, (col) => col.notNull())
      .addColumn('stream', 'text', (col) => col.notNull())
      .addColumn('content', 'text', (col) => col.notNull())
      .addPrimaryKeyConstraint(RUN_LOG_CHUNKS_PK, ['run_id', 'seq'])
      .execute();

    // How far the scheduler has evaluated each workspace's schedules: firings after this instant that are
    // past when Tide starts were missed while it was down, and go through catch-up.
    await db.schema
      .createTable('scheduler_checkpoints')
      .addColumn('workspace', 'text', (col) => col.primaryKey())
      .addColumn('evaluated_until', instant, (col) => col.notNull())
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    for (const table of ['scheduler_checkpoints', 'run_log_chunks', 'runs', 'firings', 'workspace_status']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
