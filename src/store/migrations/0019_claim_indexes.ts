import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Indexes for the claim query (src/run/run.repo.ts `claimOnce`), which picks the first queued run, in
 * (priority, created_at, id) order, that nothing of its lock key runs or precedes. With the order index
 * lacking `id`, SQLite sorted every queued run, and so checked the "nothing precedes it" subquery for
 * each of them; that subquery searched by state and priority, not by lock key. With 400 runs queued
 * (a burst of firings) one claim took about 40 ms, once per run started. Now the queue is read in order
 * and stops at the first free run, and the subquery looks up its own lock key.
 */
export const claimIndexes: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('runs_claim_idx').execute();
    await db.schema
      .createIndex('runs_claim_idx')
      .on('runs')
      .columns(['state', 'priority', 'created_at', 'id'])
      .execute();
    await db.schema
      .createIndex('runs_lock_key_queue_idx')
      .on('runs')
      .columns(['lock_key', 'state', 'priority', 'created_at', 'id'])
      .execute();
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('runs_lock_key_queue_idx').execute();
    await db.schema.dropIndex('runs_claim_idx').execute();
    await db.schema
      .createIndex('runs_claim_idx')
      .on('runs')
      .columns(['state', 'priority', 'created_at'])
      .execute();
  },
};
