/**
 * Batches a run's log lines into stored chunks and publishes each chunk on the hub. One database write
 * per line would make a chatty engine slow the database down; batching bounds the writes while a follower
 * still sees output within a quarter of a second. Every line is masked before it is buffered.
 */
import type { RunEventBus } from '../run-events.ts';
import { createSecretMasker, type Masker } from '../../engine/secret-mask.ts';
import type { Db, LogStream } from '../../store/schema.ts';
import type { Clock } from '../../time/clock.ts';
import { appendLogChunk } from '../run-log.repo.ts';

export interface RunLogSinkOptions {
  readonly db: Db;
  readonly hub: RunEventBus;
  readonly clock: Clock;
  readonly runId: string;
  readonly workspace: string;
  /** A buffered line is written at most this long after it arrived. Default 250 ms. */
  readonly flushIntervalMs?: number;
  /** A chunk holds at most this many lines. Default 100. */
  readonly maxLines?: number;
  /** A chunk that could not be stored (the line is lost, the run goes on). */
  readonly onError: (error: unknown) => void;
}

interface Chunk {
  stream: LogStream;
  lines: string[];
}

export class RunLogSink {
  readonly #options: RunLogSinkOptions;
  readonly #secrets = new Set<string>();
  #mask: Masker = (line) => line;
  #current: Chunk | null = null;
  #timer: NodeJS.Timeout | null = null;
  #writing: Promise<void> = Promise.resolve();
  #discarded = false;

  constructor(options: RunLogSinkOptions) {
    this.#options = options;
  }

  addSecrets(values: Iterable<string>): void {
    for (const value of values) this.#secrets.add(value);
    this.#mask = createSecretMasker(this.#secrets);
  }

  /** The text with every secret known so far masked, as a log line would be. */
  mask(text: string): string {
    return this.#mask(text);
  }

  /** Masks the line and buffers it; returns the masked line. */
  write(stream: LogStream, line: string): string {
    const masked = this.#mask(line);
    if (this.#discarded) return masked;
    // One chunk holds one stream: a switch cuts the chunk (it is written in order with the next).
    if (this.#current && this.#current.stream !== stream) this.#cut();
    this.#current ??= { stream, lines: [] };
    this.#current.lines.push(masked);
    if (this.#current.lines.length >= (this.#options.maxLines ?? 100)) this.#cut();
    else this.#timer ??= setTimeout(() => this.#cut(), this.#options.flushIntervalMs ?? 250);
    return masked;
  }

  /** Writes everything buffered; resolves when it is stored. */
  async flush(): Promise<void> {
    this.#cut();
    await this.#writing;
  }

  /** Drops what is buffered and writes nothing more: the run belongs to another runner now. */
  discard(): void {
    this.#discarded = true;
    this.#current = null;
    this.#clearTimer();
  }

  #cut(): void {
    this.#clearTimer();
    const chunk = this.#current;
    this.#current = null;
    if (!chunk || chunk.lines.length === 0 || this.#discarded) return;
    this.#writing = this.#writing.then(() => this.#store(chunk));
  }

  async #store(chunk: Chunk): Promise<void> {
    if (this.#discarded) return;
    const { db, hub, clock, runId, workspace } = this.#options;
    try {
      const content = chunk.lines.map((line) => `${line}\n`).join('');
      const stored = await appendLogChunk(db, runId, {
        stream: chunk.stream,
        content,
        created_at: clock.now(),
      });
      hub.emit('run.log', { runId, workspace, seq: stored.seq, stream: chunk.stream, lines: chunk.lines });
    } catch (error) {
      this.#options.onError(error);
    }
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
