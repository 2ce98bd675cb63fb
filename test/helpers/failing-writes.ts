import { sql } from 'kysely';
import { dialectOf } from '../../src/store/dialect.ts';
import type { Db } from '../../src/store/schema.ts';

/**
 * Makes the real database refuse every insert (upserts included) or update of `table` with `message`,
 * through a trigger, until the returned function drops it: a transient store failure without a fake store.
 */
export async function failWrites(
  db: Db,
  table: string,
  { on, message }: { on: 'insert' | 'update'; message: string },
): Promise<() => Promise<void>> {
  const trigger = sql.id(`tide_test_fail_${on}_${table}`);
  const event = sql.raw(on === 'insert' ? 'INSERT' : 'UPDATE');
  if (dialectOf(db) === 'sqlite') {
    await sql`CREATE TRIGGER ${trigger} BEFORE ${event} ON ${sql.table(table)}
      BEGIN SELECT RAISE(ABORT, ${sql.lit(message)}); END`.execute(db);
    return async () => void (await sql`DROP TRIGGER ${trigger}`.execute(db));
  }
  const body = `BEGIN RAISE EXCEPTION '%', '${message.replaceAll("'", "''")}'; END`;
  await sql`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS ${sql.lit(body)}`.execute(db);
  await sql`CREATE TRIGGER ${trigger} BEFORE ${event} ON ${sql.table(table)}
    FOR EACH ROW EXECUTE FUNCTION ${trigger}()`.execute(db);
  return async () => {
    await sql`DROP TRIGGER ${trigger} ON ${sql.table(table)}`.execute(db);
    await sql`DROP FUNCTION ${trigger}()`.execute(db);
  };
}
