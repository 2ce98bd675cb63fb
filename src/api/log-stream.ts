/**
 * A run's log as a stream (`GET /api/v1/runs/{id}/logs?follow=true`, or format=text|ndjson): the stored
 * chunks first, then live `run.log` events until the run reaches a terminal state.
 *
 * No gap, no duplicate: the listeners are attached before the stored chunks are read, every chunk
 * carries its sequence number (1, 2, 3… per run), and a chunk is written only if its seq is the next
 * one. A live event that skips ahead (an event lost between replicas) makes the stream read the missing
 * chunks from the store first. When the run ends, whatever the store holds beyond the last seq written is
 * sent before the stream closes, so the end of the log is never cut off by event ordering.
 *
 * Contract with the log writer: a chunk's `content` is its lines joined by "\n" (a trailing "\n" is
 * tolerated), and the `run.log` event announcing it carries the same seq and those lines.
 */
import { PassThrough, type Readable } from 'node:stream';
import type { LogLinesEvent } from '../run/run-events.ts';
import type { LogChunk } from '../run/run-log.repo.ts';
import { isDone } from '../run/run-state.ts';
import type { Run } from '../run/run.ts';
import type { ApiDeps } from './api-deps.ts';

export type StreamFormat = 'text' | 'ndjson';

/** One chunk as the JSON and ndjson formats show it. */
export interface LogChunkView {
  readonly seq: number;
  readonly stream: LogChunk['stream'];
  readonly created_at: string;
  readonly content: string;
}

const READ_BATCH = 500;

export function toLogChunkView(chunk: LogChunk): LogChunkView {
  return { seq: chunk.seq, stream: chunk.stream, created_at: chunk.created_at, content: chunk.content };
}

export type LogStreamDeps = Pick<ApiDeps, 'runs' | 'hub' | 'clock' | 'logger'>;

/** The run's log as a readable stream; destroy it to stop (it then stops listening to the hub). */
export function streamRunLog(
  deps: LogStreamDeps,
  runId: string,
  options: { format: StreamFormat; follow: boolean },
): Readable {
  return new LogFollower(deps, runId, options).out;
}

class LogFollower {
  readonly out = new PassThrough();
  #lastSeq = 0;
  #ended = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: LogStreamDeps,
    private readonly runId: string,
    private readonly options: { format: StreamFormat; follow: boolean },
  ) {
    if (options.follow) {
      deps.hub.on('run.log', this.#onLog);
      deps.hub.on('run.updated', this.#onRun);
    }
    // Destroyed from outside (the client went away, the server closes): stop listening and writing,
    // rather than leak a listener per abandoned request.
    this.out.once('close', () => this.#stop());
    this.#enqueue(() => this.#start());
  }

  async #start(): Promise<void> {
    await this.#drainStored();
    if (!this.options.follow) return this.#finish();
    // Read after subscribing: a run that finished before this point sent its last event to nobody.
    const current = await this.deps.runs.find(this.runId);
    if (!current || isDone(current.state)) {
      await this.#drainStored();
      this.#finish();
    }
  }

  readonly #onLog = (event: LogLinesEvent): void => {
    if (event.runId !== this.runId) return;
    this.#enqueue(async () => {
      if (event.seq > this.#lastSeq + 1) await this.#drainStored();
      this.#write(fromEvent(event, this.deps.clock.now()));
    });
  };

  readonly #onRun = (run: Run): void => {
    if (run.id !== this.runId || !isDone(run.state)) return;
    this.#enqueue(async () => {
      await this.#drainStored();
      this.#finish();
    });
  };

  /** Steps run one at a time, in the order events arrived, so writes never interleave. */
  #enqueue(step: () => Promise<void>): void {
    this.#queue = this.#queue
      .then(() => (this.#ended ? undefined : step()))
      .catch((error: unknown) => {
        this.deps.logger.error({ err: error, run_id: this.runId }, 'log stream failed');
        this.#stop();
        this.out.destroy(error instanceof Error ? error : new Error(String(error)));
      });
  }

  async #drainStored(): Promise<void> {
    for (;;) {
      const chunks = await this.deps.runs.logChunks(this.runId, {
        afterSeq: this.#lastSeq,
        limit: READ_BATCH,
      });
      chunks.forEach((chunk) => this.#write(toLogChunkView(chunk)));
      if (chunks.length < READ_BATCH) return;
    }
  }

  #write(chunk: LogChunkView): void {
    if (this.#ended || chunk.seq <= this.#lastSeq) return;
    this.#lastSeq = chunk.seq;
    this.out.write(render(chunk, this.options.format));
  }

  #finish(): void {
    this.#stop();
    this.out.end();
  }

  #stop(): void {
    this.#ended = true;
    this.deps.hub.off('run.log', this.#onLog);
    this.deps.hub.off('run.updated', this.#onRun);
  }
}

function fromEvent(event: LogLinesEvent, now: Date): LogChunkView {
  return {
    seq: event.seq,
    stream: event.stream,
    created_at: now.toISOString(),
    content: event.lines.join('\n'),
  };
}

function render(chunk: LogChunkView, format: StreamFormat): string {
  if (format === 'ndjson') return `${JSON.stringify(chunk)}\n`;
  const lines = chunk.content.endsWith('\n') ? chunk.content.slice(0, -1) : chunk.content;
  return `${lines}\n`;
}
