import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { changeStampOf } from './change-stamp.ts';

forEachDialect('the store change stamp', (harness) => {
  if (harness.dialect === 'postgres') {
    it('is absent on PostgreSQL, whose other replicas write unseen: nothing caches on it', () => {
      expect(changeStampOf(harness.db)()).toBeNull();
    });
    return;
  }

  const stamp = () => changeStampOf(harness.db)();

  it('stays the same across reads and moves with every write of Tide’s own connection', async () => {
    const before = stamp();
    await harness.db.selectFrom('users').selectAll().execute();
    expect(stamp()).toBe(before);
    await harness.db
      .insertInto('rate_limits')
      .values({
        key: 'k',
        window_start: '2027-01-01T00:00:00.000Z',
        expires_at: '2027-01-01T00:01:00.000Z',
        count: 1,
      })
      .execute();
    const afterInsert = stamp();
    expect(afterInsert).not.toBe(before);
    await harness.db
      .updateTable('rate_limits')
      .set({ count: 2 })
      .where('key', '=', 'k')
      .returning('count')
      .execute();
    expect(stamp()).not.toBe(afterInsert);
  });

  it('moves when a transaction writes, even one that rolls back', async () => {
    const before = stamp();
    await harness.db
      .transaction()
      .execute(async (trx) => {
        await sql`DELETE FROM rate_limits`.execute(trx);
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(stamp()).not.toBe(before);
  });

  it('moves when another connection or process commits to the same file', async () => {
    const before = stamp();
    const other = new Sqlite(harness.store.location);
    try {
      other
        .prepare(`INSERT INTO rate_limits (key, window_start, expires_at, count) VALUES ('cli', '', '', 1)`)
        .run();
    } finally {
      other.close();
    }
    expect(stamp()).not.toBe(before);
  });
});
