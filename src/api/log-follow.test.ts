import type { EventEmitter } from 'node:events';
import { once } from 'node:events';
import { get, type IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { beforeEach, expect, it } from 'vitest';
import { forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { appendLogChunk } from '../run/run-log.repo.ts';
import { updateRunState } from '../run/run.repo.ts';
import type { Run } from '../run/run.ts';

/** Collects a streamed body and lets a test wait until some text has arrived: no sleeps. */
class StreamReader {
  text = '';
  readonly ended: Promise<unknown>;
  readonly #waiters: { needle: string; resolve: () => void }[] = [];

  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    this.ended = once(stream, 'end');
    stream.on('data', (chunk: string) => {
      this.text += chunk;
      for (const waiter of this.#waiters.filter((w) => this.text.includes(w.needle))) waiter.resolve();
    });
  }

  waitFor(needle: string): Promise<void> {
    if (this.text.includes(needle)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ needle, resolve }));
  }
}

forEachApiDialect('following a run log', (fixture) => {
  let f: ApiFixture;
  let run: Run;
  beforeEach(async () => {
    f = fixture();
    run = await f.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    await updateRunState(f.db, run.id, 'running', f.clock.now(), {
      lease: { owner: 'test', leaseMs: 60_000 },
    });
  });

  /** What the executor does for each chunk: store it, then announce it. */
  async function writeChunk(content: string, announce = true): Promise<void> {
    const chunk = await appendLogChunk(f.db, run.id, {
      stream: 'stdout',
      content,
      created_at: f.clock.now(),
    });
    if (announce)
      f.hub.emit('run.log', {
        runId: run.id,
        workspace: 'web',
        seq: chunk.seq,
        stream: 'stdout',
        lines: content.split('\n'),
      });
  }

  async function finish(state: 'succeeded' | 'failed'): Promise<void> {
    f.hub.emit('run.updated', await updateRunState(f.db, run.id, state, f.clock.now()));
  }

  async function follow(query = 'follow=true'): Promise<{ reader: StreamReader; contentType: unknown }> {
    const response = await f.app.inject({
      url: `/api/v1/runs/${run.id}/logs?${query}`,
      payloadAsStream: true,
    });
    expect(response.statusCode).toBe(200);
    return { reader: new StreamReader(response.stream()), contentType: response.headers['content-type'] };
  }

  it('streams stored lines, then lines published while following, each exactly once, until the run ends', async () => {
    await writeChunk('stored 1', false);
    await writeChunk('stored 2\nstored 3', false);
    const { reader, contentType } = await follow();
    expect(contentType).toBe('text/plain; charset=utf-8');
    // The stored part has arrived, so the stream is subscribed: everything from here is live.
    await reader.waitFor('stored 3\n');
    await writeChunk('live 4');
    // The same event delivered twice (two replicas relaying it) and a stale one are written once.
    f.hub.emit('run.log', { runId: run.id, workspace: 'web', seq: 3, stream: 'stdout', lines: ['live 4'] });
    f.hub.emit('run.log', { runId: run.id, workspace: 'web', seq: 1, stream: 'stdout', lines: ['stored 1'] });
    // Another run's lines and another run's end are not this stream's business.
    f.hub.emit('run.log', { runId: 'other', workspace: 'web', seq: 4, stream: 'stdout', lines: ['other'] });
    f.hub.emit('run.updated', { ...run, id: 'other', state: 'failed' });
    await writeChunk('live 5');
    await reader.waitFor('live 5\n');
    await finish('succeeded');
    await reader.ended;
    expect(reader.text).toBe('stored 1\nstored 2\nstored 3\nlive 4\nlive 5\n');
    expect(f.hub.listenerCount('run.log')).toBe(0);
    expect(f.hub.listenerCount('run.updated')).toBe(0);
  });

  it('fills a gap in the live events from the store', async () => {
    const { reader } = await follow();
    await writeChunk('missed 1', false);
    await writeChunk('missed 2', false);
    await writeChunk('seen 3');
    await reader.waitFor('seen 3\n');
    await finish('failed');
    await reader.ended;
    expect(reader.text).toBe('missed 1\nmissed 2\nseen 3\n');
  });

  it('sends what was stored but not yet announced when the run ends', async () => {
    const { reader } = await follow();
    await writeChunk('last words', false);
    await finish('failed');
    await reader.ended;
    expect(reader.text).toBe('last words\n');
  });

  it('ends at once after the stored log when the run has already finished', async () => {
    await writeChunk('done', false);
    await finish('succeeded');
    const { reader } = await follow();
    await reader.ended;
    expect(reader.text).toBe('done\n');
    expect(f.hub.listenerCount('run.log')).toBe(0);
  });

  it('streams one JSON object per chunk with format=ndjson', async () => {
    await writeChunk('stored', false);
    const { reader, contentType } = await follow('follow=true&format=ndjson');
    expect(contentType).toBe('application/x-ndjson');
    await reader.waitFor('stored');
    await writeChunk('a\nb');
    await finish('succeeded');
    await reader.ended;
    const chunks = reader.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(chunks).toEqual([
      { seq: 1, stream: 'stdout', created_at: '2027-03-15T06:00:00.000Z', content: 'stored' },
      { seq: 2, stream: 'stdout', created_at: '2027-03-15T06:00:00.000Z', content: 'a\nb' },
    ]);
  });

  it('stops listening when the client goes away', async () => {
    const address = await f.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      await writeChunk('hello', false);
      const request = get(`${address}/api/v1/runs/${run.id}/logs?follow=true`, {
        agent: false,
        headers: { authorization: `Bearer ${await f.adminToken()}` },
      });
      const [response] = (await once(request, 'response')) as [IncomingMessage];
      const [first] = (await once(response, 'data')) as [Buffer];
      expect(first.toString()).toBe('hello\n');
      expect(f.hub.listenerCount('run.log')).toBe(1);
      const removed = once(f.hub as EventEmitter, 'removeListener');
      request.destroy();
      await removed;
      expect(f.hub.listenerCount('run.log')).toBe(0);
    } finally {
      await f.app.close();
    }
  });

  it('ends open follows when the server closes, so shutdown does not wait for runs to finish', async () => {
    const { reader } = await follow();
    await writeChunk('before shutdown');
    await reader.waitFor('before shutdown\n');
    await f.app.close();
    await reader.ended;
    expect(reader.text).toBe('before shutdown\n');
    expect(f.hub.listenerCount('run.log')).toBe(0);
  });
});
