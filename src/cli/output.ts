/** Where CLI commands write. Kept behind a tiny interface so tests can capture output without a process. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function printJson(output: Output, value: unknown): void {
  output.out(JSON.stringify(value, null, 2));
}

/** What a command can touch: where to print, and the exit code to finish with. */
export interface CliContext {
  readonly output: Output;
  exitCode: number;
}
