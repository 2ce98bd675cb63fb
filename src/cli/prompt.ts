/**
 * Asking the person at the terminal: a line, or a secret without echo. Without a terminal there is
 * nobody to ask, so commands that need a password take `--password-stdin` instead (scripts, CI).
 */
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { TideError } from '../errors/tide-error.ts';
import type { CliInput } from './output.ts';

export function hasTerminal(input: CliInput): boolean {
  return input.isTTY === true;
}

export async function promptLine(input: CliInput, question: string): Promise<string> {
  const prompt = createInterface({ input, output: process.stderr });
  try {
    return (await prompt.question(question)).trim();
  } finally {
    prompt.close();
  }
}

/** Reads a line without echoing it: the prompt is written, then the terminal output is muted. */
export async function promptSecret(input: CliInput, question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const prompt = createInterface({ input, output, terminal: true });
  try {
    const answer = prompt.question(question);
    muted = true;
    return await answer;
  } finally {
    prompt.close();
    process.stderr.write('\n');
  }
}

/** All of stdin, without the final newline (`echo pw | tide …` adds one). */
export async function readStdin(input: CliInput): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * A password: from stdin with `--password-stdin`, else asked on the terminal (twice when `confirm`,
 * so a typo does not become the password).
 */
export async function readPassword(
  input: CliInput,
  options: { stdin?: boolean; confirm?: boolean; label?: string },
): Promise<string> {
  const label = options.label ?? 'Password';
  if (options.stdin) {
    const password = await readStdin(input);
    if (password === '') throw new TideError('invalid_argument', 'no password on stdin');
    return password;
  }
  if (!hasTerminal(input))
    throw new TideError(
      'invalid_argument',
      'stdin is not a terminal: pass the password with --password-stdin',
    );
  const password = await promptSecret(input, `${label}: `);
  if (options.confirm && (await promptSecret(input, `${label} again: `)) !== password)
    throw new TideError('invalid_argument', 'the two passwords differ');
  return password;
}
