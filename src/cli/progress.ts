/**
 * A one-line spinner on stderr while the CLI waits (`--wait`). Only on a terminal: in a pipe or a CI log
 * the redraws would be noise, so there it does nothing at all.
 */
import { systemClock, type Clock } from '../time/clock.ts';
import { formatSpan } from './format.ts';

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;
const CLEAR_LINE = '\r\x1b[2K';

export interface ProgressStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export class Progress {
  readonly #stream: ProgressStream;
  readonly #clock: Clock;
  #label = '';
  #startedAt = 0;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(stream: ProgressStream = process.stderr, clock: Clock = systemClock) {
    this.#stream = stream;
    this.#clock = clock;
  }

  get active(): boolean {
    return this.#timer !== undefined;
  }

  start(label: string): void {
    if (!this.#stream.isTTY || this.active) return;
    this.#label = label;
    this.#startedAt = this.#clock.now().getTime();
    this.#timer = setInterval(() => this.#draw(), FRAME_MS);
    // A spinner must never keep the process alive on its own.
    this.#timer.unref();
    this.#draw();
  }

  /** Wipes the spinner line so other output starts on a clean line; the next frame draws it again. */
  clear(): void {
    if (this.active) this.#stream.write(CLEAR_LINE);
  }

  stop(): void {
    if (!this.active) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stream.write(CLEAR_LINE);
  }

  #draw(): void {
    this.#frame = (this.#frame + 1) % frames.length;
    const elapsed = formatSpan(this.#clock.now().getTime() - this.#startedAt);
    this.#stream.write(`${CLEAR_LINE}${frames[this.#frame] ?? ''} ${this.#label} (${elapsed})`);
  }
}
