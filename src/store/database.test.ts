import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'tide-open-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A local port nobody listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('openDatabase', () => {
  it('creates the data directory and a WAL-mode SQLite file when no URL is given', async () => {
    const dataDir = path.join(scratch, 'nested', 'data');
    const store = await openDatabase({ dataDir });
    try {
      expect(store.dialect).toBe('sqlite');
      expect(existsSync(path.join(dataDir, 'tide.db'))).toBe(true);
      const pragmas = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
      expect(pragmas.rows[0]?.journal_mode).toBe('wal');
      const fk = await sql<{ foreign_keys: number }>`pragma foreign_keys`.execute(store.db);
      expect(fk.rows[0]?.foreign_keys).toBe(1);
      const busy = await sql<{ timeout: number }>`pragma busy_timeout`.execute(store.db);
      expect(busy.rows[0]?.timeout).toBe(5000);
    } finally {
      await store.close();
    }
  });

  it('creates the data directory 0700 and the database, its WAL and shared memory 0600, whatever the umask', async () => {
    const dataDir = path.join(scratch, 'private', 'data');
    const umask = process.umask(0o022);
    try {
      const store = await openDatabase({ dataDir });
      await sql`create table t (x integer)`.execute(store.db);
      const modes = ['', 'tide.db', 'tide.db-wal', 'tide.db-shm'].map(
        (file) => statSync(path.join(dataDir, file)).mode & 0o777,
      );
      await store.close();
      expect(modes).toEqual([0o700, 0o600, 0o600, 0o600]);
    } finally {
      process.umask(umask);
    }
  });

  it('tightens a database and companions left readable by others when it opens them', async () => {
    const dataDir = path.join(scratch, 'loose');
    const first = await openDatabase({ dataDir });
    await sql`create table t (x integer)`.execute(first.db);
    const files = ['tide.db', 'tide.db-wal', 'tide.db-shm'].map((file) => path.join(dataDir, file));
    for (const file of files) chmodSync(file, 0o644);
    // A second connection while the first is open: the -wal and -shm files are still there to tighten.
    const second = await openDatabase({ dataDir });
    const modes = files.map((file) => statSync(file).mode & 0o777);
    await second.close();
    await first.close();
    expect(modes).toEqual([0o600, 0o600, 0o600]);
  });

  it('treats an empty URL as unset', async () => {
    const store = await openDatabase({ url: '  ', dataDir: path.join(scratch, 'empty-url') });
    expect(store.dialect).toBe('sqlite');
    await store.close();
  });

  it('rejects an unsupported scheme by name without echoing the password', async () => {
    const attempt = openDatabase({ url: 'mysql://tide:s3cret@db:3306/tide', dataDir: scratch });
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_argument', details: { scheme: 'mysql' } });
    await expect(attempt).rejects.toThrow(/"mysql:"/);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });

  it('reports an unreachable PostgreSQL as database_unavailable, naming host, port and database', async () => {
    const port = await closedPort();
    const attempt = openDatabase({
      url: `postgres://tide:s3cret@127.0.0.1:${port}/tide_prod`,
      dataDir: scratch,
    });
    await expect(attempt).rejects.toMatchObject({ code: 'database_unavailable' });
    await expect(attempt).rejects.toThrow(`tide@127.0.0.1:${port}/tide_prod`);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });

  it('reports a SQLite file it cannot create as database_unavailable', async () => {
    const blocker = path.join(scratch, 'not-a-dir');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(blocker, '');
    await expect(openDatabase({ dataDir: path.join(blocker, 'data') })).rejects.toMatchObject({
      code: 'database_unavailable',
    });
  });
});
