import { sql, type Kysely, type Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- a migration is written against the schema of its
   own time, not today's Database type */

/**
 * The workspace status becomes a state machine (src/workspace/workspace-state.ts):
 * - `status_before_run` remembers, while a run is deploying or destroying the workspace, the status it had
 *   before, so a run canceled before its apply began can put it back;
 * - a workspace left `deploying` / `destroying` with no running run is repaired to `deploy_failed` /
 *   `destroy_failed`. Before this migration a run's outcome and its workspace's status were two writes,
 *   and a crash between them left that pair; the machine would refuse to start a run from it.
 */
export const workspaceStatusMachine: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('workspace_status').addColumn('status_before_run', 'text').execute();
    for (const [busy, failed] of [
      ['deploying', 'deploy_failed'],
      ['destroying', 'destroy_failed'],
    ] as const) {
      await db
        .updateTable('workspace_status as w')
        .set({ status: failed })
        .where('w.status', '=', busy)
        .where(({ exists, not, selectFrom }) =>
          not(
            exists(
              selectFrom('runs')
                .select(sql`1`.as('one'))
                .whereRef('runs.lock_key', '=', 'w.workspace')
                .where('runs.state', '=', 'running'),
            ),
          ),
        )
        .execute();
    }
  },

  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('workspace_status').dropColumn('status_before_run').execute();
  },
};
