import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.ts';
import { lineOutput } from '../../src/cli/output.ts';

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface CliCall {
  /** The whole environment the command sees: nothing of the test process's leaks in. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory relative paths resolve against (default: the repository root, where tests run). */
  readonly cwd?: string;
  /** What stdin holds; it is a pipe, never a terminal. */
  readonly input?: string;
}

/**
 * Runs a `tide` command in this process, as `bin/tide.js` would run it in its own: same parsing, output
 * and exit code, with the caller's environment, directory and stdin. A server under test in this process
 * answers it; nothing is spawned, so no test waits on a process starting on a slow machine. Tests of
 * what only a real process has (exit on a broken pipe, the compiled build) spawn one: see
 * src/cli/executable.test.ts.
 */
export async function runTideInProcess(args: string[], call: CliCall = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    output: lineOutput(
      (text) => (stdout += text),
      (text) => (stderr += text),
    ),
    env: call.env ?? {},
    cwd: call.cwd ?? process.cwd(),
    stdin: Readable.from([Buffer.from(call.input ?? '')]),
    progress: { isTTY: false, write: () => true },
  });
  return { status, stdout, stderr };
}
