import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { ManualClock } from '../time/clock.ts';
import { AUDIT_CHECKPOINT_FILE, readCheckpointFile } from './audit-checkpoint.ts';
import { TestTimers } from '../supervisor/test-supervision.ts';
import { auditCheckpoints, checkpointAuditLog, type AuditCheckpointDeps } from './audit-checkpointer.ts';
import { AuditLog, verifyAuditChain } from './audit-log.ts';
import { checkpointMac } from './audit-mac.ts';

const KEY = new TextEncoder().encode('checkpoint-test-key-0123456789-abcdefghijk');

/** Every line the checkpointer logs, parsed. */
function capturingLogger(): { lines: Array<Record<string, unknown>>; logger: pino.Logger } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

forEachDialect('audit checkpoints', (harness) => {
  let dataDir: string;
  let clock: ManualClock;
  let log: AuditLog;
  let lines: Array<Record<string, unknown>>;
  let headSequence: number | undefined;
  let deps: AuditCheckpointDeps;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tide-checkpoint-'));
    clock = new ManualClock('2027-03-15T06:00:00.000Z');
    log = new AuditLog(harness.db, clock, KEY);
    const captured = capturingLogger();
    lines = captured.lines;
    headSequence = undefined;
    deps = {
      db: harness.db,
      key: KEY,
      clock,
      dataDir,
      logger: captured.logger,
      headSequence: { set: (value) => (headSequence = value) },
    };
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  async function append(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await log.record({
        actor: 'alice',
        action: 'workspace.deploy',
        target: 'workspace:web',
        result: 'success',
        sourceIp: null,
        requestId: null,
      });
    }
  }

  it('signs the head into a 0600 file and a log line, and sets the head-sequence metric', async () => {
    await append(3);
    const outcome = await checkpointAuditLog(deps);

    const file = path.join(dataDir, AUDIT_CHECKPOINT_FILE);
    const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const [, , third] = await harness.db.selectFrom('audit_log').select('hash').orderBy('id').execute();
    expect(written).toEqual({
      sequence: 3,
      hash: third!.hash,
      at: '2027-03-15T06:00:00.000Z',
      mac: checkpointMac(KEY, 3, third!.hash, '2027-03-15T06:00:00.000Z'),
    });
    expect(outcome).toEqual({ kind: 'written', checkpoint: written });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(lines).toEqual([expect.objectContaining({ msg: 'audit checkpoint', audit_checkpoint: written })]);
    expect(headSequence).toBe(3);
  });

  it('writes again only when the head moved, or when asked to (at start)', async () => {
    await append(1);
    await checkpointAuditLog(deps);
    clock.advance(60_000);
    expect(await checkpointAuditLog(deps)).toEqual({ kind: 'unchanged' });
    expect(lines).toHaveLength(1);

    expect(await checkpointAuditLog(deps, { always: true })).toMatchObject({ kind: 'written' });
    await append(1);
    expect(await checkpointAuditLog(deps)).toMatchObject({ kind: 'written', checkpoint: { sequence: 2 } });
    expect(lines).toHaveLength(3);
  });

  it('keeps its checkpoint and logs an error once the log ends before it, so verify can name what is missing', async () => {
    await append(5);
    await checkpointAuditLog(deps);
    const before = await readFile(path.join(dataDir, AUDIT_CHECKPOINT_FILE), 'utf8');
    const [two] = await harness.db.selectFrom('audit_log').select('hash').where('id', '=', 2).execute();
    // An attacker who saved nothing: entries 3–5 deleted, the head set back by hand.
    await sql`delete from audit_log where id > 2`.execute(harness.db);
    await harness.db.updateTable('audit_log_head').set({ last_id: 2, last_hash: two!.hash }).execute();

    const outcome = await checkpointAuditLog(deps);
    expect(outcome).toMatchObject({ kind: 'tampered' });
    expect(await readFile(path.join(dataDir, AUDIT_CHECKPOINT_FILE), 'utf8')).toBe(before);
    expect(headSequence).toBe(2);
    expect(lines.at(-1)).toMatchObject({
      level: 50,
      problems: [
        'the chain head (entry 2) is not signed by the audit key: it was moved outside Tide',
        `the log ends at entry 2, but ${path.join(dataDir, AUDIT_CHECKPOINT_FILE)} records entry 5: entries 3–5 were deleted`,
      ],
    });

    const checkpoint = await readCheckpointFile(dataDir);
    const result = await verifyAuditChain(harness.db, { key: KEY, checkpoints: [checkpoint!] });
    expect(!result.ok && result.problems.map((problem) => problem.kind)).toEqual(['truncated', 'truncated']);
  });

  it('as a subsystem, checkpoints at once even when the head has not moved, then every interval', async () => {
    await append(1);
    await checkpointAuditLog(deps);
    const timers = new TestTimers();
    const subsystem = auditCheckpoints(deps, { intervalMs: 60_000, timers });
    const stop = new AbortController();
    let up = 0;
    const running = subsystem.start(stop.signal, () => up++);

    await timers.armed();
    expect(subsystem.name).toBe('audit-checkpoint');
    expect(up).toBe(1);
    expect(lines).toHaveLength(2);
    await append(1);
    expect(timers.fire()).toEqual([60_000]);
    await timers.armed();
    expect(lines.at(-1)).toMatchObject({ audit_checkpoint: { sequence: 2 } });
    stop.abort();
    await running;
  });

  it('logs an error rather than checkpoint over a wiped log', async () => {
    await append(2);
    await checkpointAuditLog(deps);
    await sql`delete from audit_log`.execute(harness.db);
    await sql`delete from audit_log_head`.execute(harness.db);

    expect(await checkpointAuditLog(deps)).toMatchObject({
      kind: 'tampered',
      problems: [{ kind: 'wiped' }],
    });
    expect((await readCheckpointFile(dataDir))?.sequence).toBe(2);
    expect(headSequence).toBe(0);
  });
});
