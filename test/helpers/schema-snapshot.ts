import { sql } from 'kysely';
import type { Store } from '../../src/store/database.ts';

/** Every table, column and index of the store, as comparable text: equal snapshots mean equal schemas. */
export async function schemaSnapshot(store: Store): Promise<string[]> {
  if (store.dialect === 'sqlite') {
    const { rows } = await sql<{ entry: string }>`
      select type || ' ' || name || ': ' || coalesce(sql, '') as entry
      from sqlite_master where name not like 'sqlite_%' order by type, name`.execute(store.db);
    return rows.map((row) => row.entry);
  }
  const columns = await sql<{ entry: string }>`
    select 'column ' || table_name || '.' || column_name || ': ' || data_type || ' ' || is_nullable
      || ' ' || coalesce(column_default, '') as entry
    from information_schema.columns where table_schema = 'public'
    order by table_name, ordinal_position`.execute(store.db);
  const indexes = await sql<{ entry: string }>`
    select 'index ' || indexname || ': ' || indexdef as entry
    from pg_indexes where schemaname = 'public' order by indexname`.execute(store.db);
  return [...columns.rows, ...indexes.rows].map((row) => row.entry);
}
