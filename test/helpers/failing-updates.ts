import { sql } from 'kysely';
import { dialectOf } from '../../src/store/dialect.ts';
import type { Db } from '../../src/store/schema.ts';

/**
 * Makes the database itself refuse every UPDATE of `workspace_status` to `status`, through a trigger: the
 * write fails inside whatever transaction makes it, as if the process had died right before it. A real
 * error from a real database, so a test sees what a transaction does and does not roll back. Returns the
 * function that drops the trigger (call it in `finally`: triggers outlive a test's rows).
 */
export async function failWorkspaceStatusUpdates(db: Db, status: string): Promise<() => Promise<void>> {
  const value = sql.lit(status);
  if (dialectOf(db) === 'postgres') {
    await sql`create function tide_test_fail_status() returns trigger language plpgsql as
      $$ begin raise exception 'simulated crash before the workspace status write'; end $$`.execute(db);
    await sql`create trigger tide_test_fail_status before update on workspace_status for each row
      when (new.status = ${value}) execute function tide_test_fail_status()`.execute(db);
    return async () => {
      await sql`drop trigger tide_test_fail_status on workspace_status`.execute(db);
      await sql`drop function tide_test_fail_status()`.execute(db);
    };
  }
  await sql`create trigger tide_test_fail_status before update on workspace_status
    when new.status = ${value}
    begin select raise(abort, 'simulated crash before the workspace status write'); end`.execute(db);
  return async () => {
    await sql`drop trigger tide_test_fail_status`.execute(db);
  };
}
