import { StringDecoder } from 'node:string_decoder';

/**
 * Longest line passed on whole (64 Ki characters). A process that writes megabytes without a newline
 * (a progress bar, a binary dump) must not hold the log back or exhaust memory, so longer lines are cut.
 */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Turns chunks of bytes into lines: a line may span chunks (and a UTF-8 character may be cut between
 * them); `\r\n` ends a line like `\n`; the last line is delivered by end() even without a newline.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  readonly #onLine: (line: string) => void;
  #partial = '';

  constructor(onLine: (line: string) => void) {
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    this.#consume(this.#partial + this.#decoder.write(chunk));
  }

  end(): void {
    const rest = this.#partial + this.#decoder.end();
    this.#partial = '';
    if (rest !== '') this.#emit(rest);
  }

  #consume(text: string): void {
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      this.#emit(text.slice(start, newline));
      start = newline + 1;
    }
    let rest = text.slice(start);
    while (rest.length > MAX_LINE_CHARS) {
      this.#onLine(rest.slice(0, MAX_LINE_CHARS));
      rest = rest.slice(MAX_LINE_CHARS);
    }
    this.#partial = rest;
  }

  #emit(line: string): void {
    this.#onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }
}
