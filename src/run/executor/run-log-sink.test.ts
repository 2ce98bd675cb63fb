import { expect, it } from 'vitest';
import { forEachDialect } from '../../../test/helpers/databases.ts';
import { EventHub } from '../../events/event-hub.ts';
import type { Db } from '../../store/schema.ts';
import { ManualClock } from '../../time/clock.ts';
import type { LogLinesEvent } from '../run-events.ts';
import { readLogChunks } from '../run-log.repo.ts';
import { RunService } from '../run.service.ts';
import { RunLogSink } from './run-log-sink.ts';

async function sinkFor(db: Db, options: { maxLines?: number; runId?: string } = {}) {
  const clock = new ManualClock('2027-06-01T07:00:00Z');
  const hub = new EventHub();
  const published: LogLinesEvent[] = [];
  hub.on('run.log', (event) => published.push(event));
  const run = await new RunService({ db, hub, clock }).enqueue({
    workspace: 'web',
    action: 'deploy',
    trigger: 'api',
  });
  const errors: unknown[] = [];
  const sink = new RunLogSink({
    db,
    hub,
    clock,
    runId: options.runId ?? run.id,
    workspace: 'web',
    maxLines: options.maxLines,
    // Long enough never to fire in a test: chunks are cut by flush(), a stream switch or maxLines.
    flushIntervalMs: 60_000,
    onError: (error) => errors.push(error),
  });
  const stored = async () =>
    (await readLogChunks(db, run.id)).map((chunk) => ({ stream: chunk.stream, content: chunk.content }));
  return { sink, published, errors, stored, runId: run.id };
}

forEachDialect('RunLogSink', (harness) => {
  const db = () => harness.db;

  it('stores lines as one chunk per stream, in order, and publishes each chunk', async () => {
    const { sink, published, stored, runId } = await sinkFor(db());
    sink.write('stdout', 'Initializing');
    sink.write('stdout', 'Plan: 1 to add');
    sink.write('stderr', 'Warning: deprecated');
    sink.write('stdout', 'Apply complete');
    await sink.flush();
    expect(await stored()).toEqual([
      { stream: 'stdout', content: 'Initializing\nPlan: 1 to add\n' },
      { stream: 'stderr', content: 'Warning: deprecated\n' },
      { stream: 'stdout', content: 'Apply complete\n' },
    ]);
    expect(published.map(({ runId: id, seq, stream, lines }) => ({ id, seq, stream, lines }))).toEqual([
      { id: runId, seq: 1, stream: 'stdout', lines: ['Initializing', 'Plan: 1 to add'] },
      { id: runId, seq: 2, stream: 'stderr', lines: ['Warning: deprecated'] },
      { id: runId, seq: 3, stream: 'stdout', lines: ['Apply complete'] },
    ]);
  });

  it('cuts a chunk when it holds maxLines lines', async () => {
    const { sink, stored } = await sinkFor(db(), { maxLines: 2 });
    for (const line of ['a', 'b', 'c']) sink.write('stdout', line);
    await sink.flush();
    expect((await stored()).map((chunk) => chunk.content)).toEqual(['a\nb\n', 'c\n']);
  });

  it('masks secrets known when a line is written, in the log and in what it returns', async () => {
    const { sink, stored } = await sinkFor(db());
    sink.write('stdout', 'token=hunter2 before');
    sink.addSecrets(['hunter2']);
    expect(sink.write('stdout', 'token=hunter2 after')).not.toContain('hunter2');
    expect(sink.mask('hunter2')).not.toContain('hunter2');
    await sink.flush();
    const [chunk] = await stored();
    expect(chunk!.content.split('\n')[0]).toBe('token=hunter2 before');
    expect(chunk!.content.split('\n')[1]).not.toContain('hunter2');
  });

  it('stores nothing more once discarded, not even a chunk already on its way', async () => {
    const { sink, published, stored } = await sinkFor(db(), { maxLines: 1 });
    sink.write('stdout', 'cut and queued');
    sink.discard();
    sink.write('stdout', 'after the lease was lost');
    await sink.flush();
    expect(await stored()).toEqual([]);
    expect(published).toEqual([]);
  });

  it('reports a chunk it cannot store and goes on', async () => {
    const { sink, errors } = await sinkFor(db(), { runId: 'no-such-run' });
    sink.write('stdout', 'lost');
    await sink.flush();
    sink.write('stdout', 'lost too');
    await sink.flush();
    expect(errors).toEqual([
      expect.objectContaining({ code: 'not_found' }),
      expect.objectContaining({ code: 'not_found' }),
    ]);
  });
});
