import { sql } from 'kysely';
import { beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { Db } from '../store/schema.ts';
import { ManualClock } from '../time/clock.ts';
import { signCheckpoint, type CheckpointClaim } from './audit-checkpoint.ts';
import type { AuditEntryInput } from './audit-entry.ts';
import { auditEntryHash, GENESIS_HASH } from './audit-hash.ts';
import { AuditLog, verifyAuditChain } from './audit-log.ts';
import { hashedFields } from './audit.ts';
import { readAuditBatch, readAuditHead } from './audit.repo.ts';

const NOW = '2027-03-15T06:00:00.000Z';
const KEY = new TextEncoder().encode('audit-log-test-key-0123456789-abcdefghijkl');

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

/** A checkpoint of the head as it is now, as the checkpoint loop would sign it into the file. */
async function checkpointNow(db: Db): Promise<CheckpointClaim> {
  const head = await readAuditHead(db);
  const signed = signCheckpoint(KEY, head!.lastId, head!.lastHash, NOW);
  return {
    sequence: signed.sequence,
    hash: signed.hash,
    source: 'the checkpoint file',
    signature: { at: signed.at, mac: signed.mac },
  };
}

const verify = (db: Db, checkpoints: CheckpointClaim[] = []) =>
  verifyAuditChain(db, { key: KEY, checkpoints });

forEachDialect('audit log', (harness) => {
  let clock: ManualClock;
  let log: AuditLog;
  beforeEach(() => {
    clock = new ManualClock(NOW);
    log = new AuditLog(harness.db, clock, KEY);
  });

  it('links each entry to the previous one, starting from 64 zeros, signs each, and verifies', async () => {
    const first = await log.append(entry({ details: { mode: 'large', nested: { b: 2, a: 1 } } }));
    clock.advance(1000);
    const second = await log.append(entry({ action: 'workspace.destroy', result: 'failure' }));

    expect(first).toMatchObject({ id: 1, at: NOW, prev_hash: GENESIS_HASH });
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toMatchObject({ id: 2, at: '2027-03-15T06:00:01.000Z', prev_hash: first.hash });
    expect(await verify(harness.db)).toEqual({ ok: true, entries: 2, unsigned: 0 });
  });

  it('stores details so that the hash recomputed from the row matches', async () => {
    await log.record(entry({ details: { z: [1, { y: true, x: null }], a: 'ü', skipped: undefined } }));
    const [stored] = await readAuditBatch(harness.db, 0, 10);
    expect(stored?.details).toEqual({ a: 'ü', z: [1, { x: null, y: true }] });
    expect(auditEntryHash(stored!.prev_hash, hashedFields(stored!))).toBe(stored!.hash);
  });

  it('verifies an empty log', async () => {
    expect(await verify(harness.db)).toEqual({ ok: true, entries: 0, unsigned: 0 });
  });

  it('names the entry whose fields were edited', async () => {
    await appendMany(log, 4);
    await sql`update audit_log set actor = 'mallory' where id = 2`.execute(harness.db);

    const result = await verify(harness.db);
    expect(result).toMatchObject({ ok: false, entries: 4 });
    expect(!result.ok && result.problems).toEqual([
      { id: 2, kind: 'modified', message: 'entry 2 was modified: its fields no longer match its hash' },
    ]);
  });

  it('names the entry that was deleted from the middle of the log', async () => {
    await appendMany(log, 5);
    await sql`delete from audit_log where id = 3`.execute(harness.db);

    const result = await verify(harness.db);
    expect(!result.ok && result.problems).toEqual([
      { id: 3, kind: 'deleted', message: 'entry 3 was deleted' },
    ]);
  });

  it('detects that the first entries were deleted', async () => {
    await appendMany(log, 3);
    await sql`delete from audit_log where id <= 2`.execute(harness.db);

    const result = await verify(harness.db);
    expect(!result.ok && result.problems).toEqual([
      { id: 1, kind: 'deleted', message: 'entries 1–2 were deleted' },
    ]);
  });

  it('detects that the newest entry was deleted, which the chain alone cannot show', async () => {
    await appendMany(log, 3);
    await sql`delete from audit_log where id = 3`.execute(harness.db);

    const result = await verify(harness.db);
    expect(!result.ok && result.problems).toEqual([
      { id: 3, kind: 'deleted', message: 'entry 3 was deleted' },
    ]);
  });

  it('detects the newest entries deleted and the head moved back onto the last one left', async () => {
    await appendMany(log, 5);
    await truncate(harness.db, 3);

    const result = await verify(harness.db);
    expect(result).toMatchObject({ ok: false, entries: 3 });
    expect(!result.ok && result.problems).toEqual([
      {
        id: 4,
        kind: 'truncated',
        message:
          'the chain head (entry 3) is not signed by the audit key: it was moved outside Tide, so the entries after 3 were deleted (a checkpoint names how many)',
      },
    ]);
  });

  it('names the entries a truncation removed from a checkpoint, even when an old head row was put back', async () => {
    await appendMany(log, 3);
    // The attacker saved the head row while the log ended at entry 3 …
    const savedHead = await harness.db.selectFrom('audit_log_head').selectAll().executeTakeFirstOrThrow();
    await appendMany(log, 2);
    const checkpoint = await checkpointNow(harness.db);
    // … and later removed entries 4–5 and put that row back: every row left is genuine and signed.
    await sql`delete from audit_log where id > 3`.execute(harness.db);
    await harness.db.updateTable('audit_log_head').set(savedHead).execute();
    expect(await verify(harness.db)).toMatchObject({ ok: true });

    const result = await verify(harness.db, [checkpoint]);
    expect(!result.ok && result.problems).toEqual([
      {
        id: 4,
        kind: 'truncated',
        message: 'the log ends at entry 3, but the checkpoint file records entry 5: entries 4–5 were deleted',
      },
    ]);
  });

  it('reports a wiped log (both tables emptied) against a checkpoint that recorded entries', async () => {
    await appendMany(log, 4);
    const checkpoint = await checkpointNow(harness.db);
    await sql`delete from audit_log`.execute(harness.db);
    await sql`delete from audit_log_head`.execute(harness.db);

    const result = await verify(harness.db, [checkpoint]);
    expect(result).toMatchObject({ ok: false, entries: 0 });
    expect(!result.ok && result.problems).toEqual([
      {
        id: 1,
        kind: 'wiped',
        message:
          'the audit log is empty, but the checkpoint file records entry 4: the log was wiped (entries 1–4 were deleted)',
      },
    ]);
  });

  it('compares with a checkpoint a person gives (sequence and hash from a log line) without a signature', async () => {
    await appendMany(log, 2);
    const head = await readAuditHead(harness.db);
    await appendMany(log, 1);
    const given = { sequence: 2, hash: head!.lastHash, source: '--checkpoint 2' };
    expect(await verify(harness.db, [given])).toEqual({ ok: true, entries: 3, unsigned: 0 });

    const wrong = { ...given, hash: '1'.repeat(64) };
    const result = await verify(harness.db, [wrong]);
    expect(!result.ok && result.problems).toEqual([
      {
        id: 2,
        kind: 'modified',
        message: 'entry 2 does not match --checkpoint 2: the log up to it was rewritten',
      },
    ]);
  });

  it('refuses a checkpoint file that the key did not sign', async () => {
    await appendMany(log, 2);
    const checkpoint = await checkpointNow(harness.db);
    const lowered = { ...checkpoint, sequence: 1 };

    const result = await verify(harness.db, [lowered]);
    expect(!result.ok && result.problems).toEqual([
      {
        id: 1,
        kind: 'forged',
        message:
          'the checkpoint in the checkpoint file is not signed by the audit key: it was edited, or not written by Tide',
      },
    ]);
  });

  it('detects the head moved back over entries that are still there', async () => {
    await appendMany(log, 4);
    const [two] = await readAuditBatch(harness.db, 1, 1);
    await harness.db.updateTable('audit_log_head').set({ last_id: 2, last_hash: two!.hash }).execute();

    const result = await verify(harness.db);
    expect(!result.ok && result.problems).toEqual([
      {
        id: 3,
        kind: 'modified',
        message:
          'the chain head ends at entry 2, but entries up to 4 exist: the head was moved, or entries were added outside Tide',
      },
    ]);
  });

  it('detects the newest entry rewritten with a recomputed hash and the head moved with it, without the key', async () => {
    await appendMany(log, 3);
    const hash = await forge(harness.db, 3, { actor: 'mallory' });
    await harness.db.updateTable('audit_log_head').set({ last_hash: hash }).execute();

    const result = await verify(harness.db);
    expect(!result.ok && result.problems).toEqual([
      {
        id: 3,
        kind: 'forged',
        message:
          'entry 3 was forged: its signature does not match (written or rewritten without the audit key)',
      },
    ]);
  });

  it('detects an entry replaced with a recomputed hash, once, by its signature', async () => {
    await appendMany(log, 3);
    await forge(harness.db, 2, { result: 'failure' });

    const result = await verify(harness.db);
    expect(!result.ok && result.problems).toEqual([
      {
        id: 2,
        kind: 'forged',
        message:
          'entry 2 was forged: its signature does not match (written or rewritten without the audit key)',
      },
    ]);
  });

  it('reports an entry linked to another than its predecessor as reordered', async () => {
    await appendMany(log, 3);
    const [one] = await readAuditBatch(harness.db, 0, 1);
    // Entry 3 re-linked (and re-hashed) straight after entry 1, as if entries had been shuffled.
    await forge(harness.db, 3, { prev_hash: one!.hash });

    const result = await verify(harness.db);
    expect(!result.ok && result.problems).toContainEqual({
      id: 3,
      kind: 'reordered',
      message: 'entry 3 follows entry 1 in the chain, not entry 2',
    });
  });

  it('accepts entries from before signing as a prefix, but not an unsigned entry after a signed one', async () => {
    await appendMany(log, 4);
    // As a database migrated from before signing holds them: entries 1–2 were written unsigned.
    await sql`update audit_log set mac = null where id <= 2`.execute(harness.db);
    expect(await verify(harness.db)).toEqual({ ok: true, entries: 4, unsigned: 2 });

    await sql`update audit_log set mac = null where id = 4`.execute(harness.db);
    const result = await verify(harness.db);
    expect(!result.ok && result.problems).toEqual([
      { id: 4, kind: 'forged', message: 'entry 4 is not signed: it was written outside Tide' },
    ]);
  });

  it('finds every signature wrong under another key', async () => {
    await appendMany(log, 2);
    const other = new TextEncoder().encode('another-audit-key-0123456789-abcdefghijklm');

    const result = await verifyAuditChain(harness.db, { key: other });
    expect(!result.ok && result.problems.map((problem) => `${problem.kind} ${problem.id}`)).toEqual([
      'forged 1',
      'forged 2',
    ]);
  });

  it('keeps one linear chain when 50 entries are appended at once', async () => {
    // On PostgreSQL half come through a second pool, as from another replica. A second SQLite connection
    // in this process would block the event loop on the file lock (better-sqlite3 is synchronous), and
    // SQLite replicas are not a supported setup anyway; there the one connection's transactions queue.
    const other =
      harness.dialect === 'postgres'
        ? new AuditLog((await harness.open({ url: harness.store.location, dataDir: '' })).db, clock, KEY)
        : log;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? log : other).record(entry({ requestId: `req-${i}` })),
      ),
    );

    expect(await verify(harness.db)).toEqual({ ok: true, entries: 50, unsigned: 0 });
    const ids = (await readAuditBatch(harness.db, 0, 100)).map((stored) => stored.id);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});

/** Deletes every entry after `keep` and moves the head back onto entry `keep`, as SQL access allows. */
async function truncate(db: Db, keep: number): Promise<void> {
  const [last] = await readAuditBatch(db, keep - 1, 1);
  await sql`delete from audit_log where id > ${keep}`.execute(db);
  await db.updateTable('audit_log_head').set({ last_id: keep, last_hash: last!.hash }).execute();
}

/**
 * Rewrites an entry the way an attacker who knows the hashing but not the audit key would: fields
 * changed, hash recomputed, the old signature left (a new one cannot be made). Returns the new hash.
 */
async function forge(
  db: Db,
  id: number,
  changes: { actor?: string; result?: 'failure'; prev_hash?: string },
): Promise<string> {
  const [stored] = await readAuditBatch(db, id - 1, 1);
  const forged = { ...stored!, ...changes };
  const hash = auditEntryHash(forged.prev_hash, hashedFields(forged));
  await db
    .updateTable('audit_log')
    .set({ actor: forged.actor, result: forged.result, prev_hash: forged.prev_hash, hash })
    .where('id', '=', id)
    .execute();
  return hash;
}
