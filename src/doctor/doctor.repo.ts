import { sql } from 'kysely';
import type { Db } from '../store/schema.ts';

/** The database server's clock (PostgreSQL `clock_timestamp()`: the moment of the call, not of the transaction). */
export async function databaseNow(db: Db): Promise<Date> {
  const { rows } = await sql<{ now: Date | string }>`select clock_timestamp() as now`.execute(db);
  return new Date(rows[0]!.now);
}
