import SqliteDatabase from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { withStatementCache } from './sqlite-dialect.ts';

const opened: SqliteDatabase.Database[] = [];
afterEach(() => opened.splice(0).forEach((db) => db.close()));

function memory(): SqliteDatabase.Database {
  const db = new SqliteDatabase(':memory:');
  opened.push(db);
  db.exec('create table t (a integer); insert into t values (1), (2)');
  return db;
}

it('hands out the prepared statement again for the same SQL, and evicts the least recently used', () => {
  const cache = withStatementCache(memory(), 2);
  const first = cache.prepare('select a from t');
  expect(cache.prepare('select a from t')).toBe(first);
  const other = cache.prepare('select a from t where a = ?');
  cache.prepare('select a from t');
  cache.prepare('select count(*) from t');
  expect(cache.prepare('select a from t')).toBe(first);
  expect(cache.prepare('select a from t where a = ?')).not.toBe(other);
});

it('never hands out a statement still iterating', () => {
  const cache = withStatementCache(memory());
  const iterating = cache.prepare('select a from t');
  const rows = iterating.iterate([]);
  rows.next();
  const second = cache.prepare('select a from t');
  expect(second).not.toBe(iterating);
  expect(second.all([])).toEqual([{ a: 1 }, { a: 2 }]);
  rows.return?.();
});

it('keeps answering right after a migration changes the table (SQLite re-prepares it)', () => {
  const db = memory();
  const cache = withStatementCache(db);
  expect(cache.prepare('select * from t where a = ?').all([1])).toEqual([{ a: 1 }]);
  db.exec("alter table t add column b text not null default 'x'");
  expect(cache.prepare('select * from t where a = ?').all([1])).toEqual([{ a: 1, b: 'x' }]);
});
