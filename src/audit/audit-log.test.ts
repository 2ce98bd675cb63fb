import { sql } from 'kysely';
import { beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { Db } from '../store/schema.ts';
import { ManualClock } from '../time/clock.ts';
import type { AuditEntryInput } from './audit-entry.ts';
import { auditEntryHash, GENESIS_HASH } from './audit-hash.ts';
import { AuditLog, verifyAuditChain } from './audit-log.ts';
import { hashedFields } from './audit.ts';
import { readAuditBatch } from './audit.repo.ts';

const NOW = '2027-03-15T06:00:00.000Z';

function entry(overrides: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    actor: 'alice',
    action: 'workspace.deploy',
    target: 'workspace:web',
    result: 'success',
    sourceIp: '10.0.0.7',
    requestId: 'req-1',
    ...overrides,
  };
}

async function appendMany(log: AuditLog, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) await log.record(entry({ requestId: `req-${i}` }));
}

forEachDialect('audit log', (harness) => {
  let clock: ManualClock;
  let log: AuditLog;
  beforeEach(() => {
    clock = new ManualClock(NOW);
    log = new AuditLog(harness.db, clock);
  });

  it('links each entry to the previous one, starting from 64 zeros, and verifies', async () => {
    const first = await log.append(entry({ details: { mode: 'large', nested: { b: 2, a: 1 } } }));
    clock.advance(1000);
    const second = await log.append(entry({ action: 'workspace.destroy', result: 'failure' }));

    expect(first).toMatchObject({ id: 1, at: NOW, prev_hash: GENESIS_HASH });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({ id: 2, at: '2027-03-15T06:00:01.000Z', prev_hash: first.hash });
    expect(await verifyAuditChain(harness.db)).toEqual({ ok: true, entries: 2 });
  });

  it('stores details so that the hash recomputed from the row matches', async () => {
    await log.record(entry({ details: { z: [1, { y: true, x: null }], a: 'ü', skipped: undefined } }));
    const [stored] = await readAuditBatch(harness.db, 0, 10);
    expect(stored?.details).toEqual({ a: 'ü', z: [1, { x: null, y: true }] });
    expect(auditEntryHash(stored!.prev_hash, hashedFields(stored!))).toBe(stored!.hash);
  });

  it('verifies an empty log', async () => {
    expect(await verifyAuditChain(harness.db)).toEqual({ ok: true, entries: 0 });
  });

  it('names the entry whose fields were edited', async () => {
    await appendMany(log, 4);
    await sql`update audit_log set actor = 'mallory' where id = 2`.execute(harness.db);

    const result = await verifyAuditChain(harness.db);
    expect(result).toMatchObject({ ok: false, entries: 4 });
    expect(!result.ok && result.problems).toEqual([
      { id: 2, kind: 'modified', message: 'entry 2 was modified: its fields no longer match its hash' },
    ]);
  });

  it('names the entry that was deleted from the middle of the log', async () => {
    await appendMany(log, 5);
    await sql`delete from audit_log where id = 3`.execute(harness.db);

    const result = await verifyAuditChain(harness.db);
    expect(!result.ok && result.problems).toEqual([
      { id: 3, kind: 'deleted', message: 'entry 3 was deleted' },
    ]);
  });

  it('detects that the first entries were deleted', async () => {
    await appendMany(log, 3);
    await sql`delete from audit_log where id <= 2`.execute(harness.db);

    const result = await verifyAuditChain(harness.db);
    expect(!result.ok && result.problems).toEqual([
      { id: 1, kind: 'deleted', message: 'entries 1–2 were deleted' },
    ]);
  });

  it('detects that the newest entry was deleted, which the chain alone cannot show', async () => {
    await appendMany(log, 3);
    await sql`delete from audit_log where id = 3`.execute(harness.db);

    const result = await verifyAuditChain(harness.db);
    expect(!result.ok && result.problems).toEqual([
      { id: 3, kind: 'deleted', message: 'entry 3 was deleted' },
    ]);
  });

  it('detects the newest entry rewritten with a recomputed hash', async () => {
    await appendMany(log, 3);
    await forge(harness.db, 3, { actor: 'mallory' });

    const result = await verifyAuditChain(harness.db);
    expect(!result.ok && result.problems).toEqual([
      { id: 3, kind: 'modified', message: 'entry 3, the newest, was rewritten' },
    ]);
  });

  it('detects an entry replaced with a recomputed hash by its successor no longer linking to it', async () => {
    await appendMany(log, 3);
    await forge(harness.db, 2, { result: 'failure' });

    const result = await verifyAuditChain(harness.db);
    expect(!result.ok && result.problems).toEqual([
      { id: 2, kind: 'modified', message: 'entry 2 was replaced: entry 3 no longer links to it' },
    ]);
  });

  it('reports an entry linked to another than its predecessor as reordered', async () => {
    await appendMany(log, 3);
    const [one] = await readAuditBatch(harness.db, 0, 1);
    // Entry 3 re-linked (and re-hashed) straight after entry 1, as if entries had been shuffled.
    await forge(harness.db, 3, { prev_hash: one!.hash });

    const result = await verifyAuditChain(harness.db);
    expect(!result.ok && result.problems).toContainEqual({
      id: 3,
      kind: 'reordered',
      message: 'entry 3 follows entry 1 in the chain, not entry 2',
    });
  });

  it('keeps one linear chain when 50 entries are appended at once', async () => {
    // On PostgreSQL half come through a second pool, as from another replica. A second SQLite connection
    // in this process would block the event loop on the file lock (better-sqlite3 is synchronous), and
    // SQLite replicas are not a supported setup anyway; there the one connection's transactions queue.
    const other =
      harness.dialect === 'postgres'
        ? new AuditLog((await harness.open({ url: harness.store.location, dataDir: '' })).db, clock)
        : log;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? log : other).record(entry({ requestId: `req-${i}` })),
      ),
    );

    expect(await verifyAuditChain(harness.db)).toEqual({ ok: true, entries: 50 });
    const ids = (await readAuditBatch(harness.db, 0, 100)).map((stored) => stored.id);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});

/**
 * Rewrites an entry the way an attacker who knows the hashing (but not the head row) would: fields
 * changed, hash recomputed.
 */
async function forge(
  db: Db,
  id: number,
  changes: { actor?: string; result?: 'failure'; prev_hash?: string },
) {
  const [stored] = await readAuditBatch(db, id - 1, 1);
  const forged = { ...stored!, ...changes };
  const hash = auditEntryHash(forged.prev_hash, hashedFields(forged));
  await db
    .updateTable('audit_log')
    .set({ actor: forged.actor, result: forged.result, prev_hash: forged.prev_hash, hash })
    .where('id', '=', id)
    .execute();
}
