import type { Kysely, Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * Drift detection (docs/drift.md, decision 034): what the last drift check of a workspace found, next to
 * its `drifted` flag, written in the transaction that records the check's outcome. `drift_since` is when
 * the workspace became drifted: it keys the one remediation deploy a drift gets in the firing ledger.
 * `drift_summary` (add/change/destroy) and `drift_addresses` (resource addresses) are JSON text.
 */
const columns = [
  'drift_checked_at',
  'drift_since',
  'drift_run_id',
  'drift_summary',
  'drift_addresses',
] as const;

export const drift: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    for (const column of columns) {
      await db.schema.alterTable('workspace_status').addColumn(column, 'text').execute();
    }
  },

  async down(db: Kysely<any>): Promise<void> {
    for (const column of [...columns].reverse()) {
      await db.schema.alterTable('workspace_status').dropColumn(column).execute();
    }
  },
};
