import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { appendLogChunk, readLogChunks } from './run-log.repo.ts';
import { insertRun } from './run.repo.ts';

const at = new Date('2025-03-03T07:00:00.000Z');

forEachDialect('run logs', (harness) => {
  const startRun = (id: string) =>
    insertRun(harness.db, { id, workspace: 'demo', action: 'deploy', trigger: 'manual', created_at: at });

  it('keep chunks in the order they were appended, numbered from 1', async () => {
    await startRun('r1');
    await appendLogChunk(harness.db, 'r1', { stream: 'system', content: 'init\n', created_at: at });
    await appendLogChunk(harness.db, 'r1', { stream: 'stdout', content: 'plan\n', created_at: at });
    await appendLogChunk(harness.db, 'r1', { stream: 'stderr', content: 'warning\n', created_at: at });
    const chunks = await readLogChunks(harness.db, 'r1');
    expect(chunks.map((chunk) => [chunk.seq, chunk.stream, chunk.content])).toEqual([
      [1, 'system', 'init\n'],
      [2, 'stdout', 'plan\n'],
      [3, 'stderr', 'warning\n'],
    ]);
    expect(chunks[0]?.created_at).toBe(at.toISOString());
  });

  it('number chunks without gaps or duplicates when appenders race', async () => {
    await startRun('r1');
    await startRun('r2');
    const appends = Array.from({ length: 40 }, (_, i) =>
      appendLogChunk(harness.db, i % 4 === 0 ? 'r2' : 'r1', {
        stream: 'stdout',
        content: `line ${i}\n`,
        created_at: at,
      }),
    );
    await Promise.all(appends);
    const seqs = (await readLogChunks(harness.db, 'r1')).map((chunk) => chunk.seq);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect((await readLogChunks(harness.db, 'r2')).map((chunk) => chunk.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
  });

  it('read from a sequence number on, a page at a time, for live tails', async () => {
    await startRun('r1');
    for (let i = 1; i <= 5; i++) {
      await appendLogChunk(harness.db, 'r1', { stream: 'stdout', content: `${i}`, created_at: at });
    }
    const page = await readLogChunks(harness.db, 'r1', { afterSeq: 2, limit: 2 });
    expect(page.map((chunk) => chunk.content)).toEqual(['3', '4']);
    expect(await readLogChunks(harness.db, 'r1', { afterSeq: 5 })).toEqual([]);
  });

  it('refuse chunks for a run that does not exist', async () => {
    await expect(
      appendLogChunk(harness.db, 'ghost', { stream: 'stdout', content: 'x', created_at: at }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});
