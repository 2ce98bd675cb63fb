import type { ProgressStream } from './progress.ts';

/** Where CLI commands write. Kept behind a tiny interface so tests can capture output without a process. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Each call is one line: a newline is added unless the text ends with one. */
export function lineOutput(out: (text: string) => void, err: (text: string) => void): Output {
  const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  return { out: (text) => out(line(text)), err: (text) => err(line(text)) };
}

export function printJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}

/** stdin: read by `--password-stdin`, asked on when it is a terminal. */
export type CliInput = NodeJS.ReadableStream & { readonly isTTY?: boolean };

/**
 * Everything the CLI takes from its process. Commands read these and never `process.*`, so a test runs
 * a command in its own process with its own environment, directory and stdin (test/helpers/run-cli.ts).
 */
export interface CliIo {
  readonly output: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative paths (`--config-dir config`, `./config`) are resolved against this. */
  readonly cwd: string;
  readonly stdin: CliInput;
  /** Where the `--wait` spinner draws (stderr; it draws only on a terminal). */
  readonly progress: ProgressStream;
}

export function processIo(): CliIo {
  return {
    output: lineOutput(
      (text) => process.stdout.write(text),
      (text) => process.stderr.write(text),
    ),
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    progress: process.stderr,
  };
}

/** What a command can touch: its I/O, and the exit code to finish with. */
export interface CliContext extends CliIo {
  exitCode: number;
}

/**
 * `tide … | head`: once the reader has gone, every write fails with EPIPE. That is the reader's choice,
 * not an error of ours, so the process ends at once without a stack trace: with the command's exit code
 * if it had already finished, else 0.
 */
export function exitQuietlyOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit();
    });
  }
}
