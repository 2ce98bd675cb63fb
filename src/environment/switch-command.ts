/**
 * Runs a health-check or switch-action command: an argv without a shell (placeholders replaced per
 * argument, so an address with odd characters stays one argument), in the allowlisted run environment
 * (src/engine/run-environment.ts, never the server's secrets), with a timeout that kills its whole process
 * group. Output (stdout and stderr, interleaved) is captured for the switch record, up to a limit.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly argv: readonly string[];
  readonly ok: boolean;
  /** null when it did not start, or was killed at its timeout. */
  readonly exit_code: number | null;
  readonly output: string;
}

/** Enough for a cloud CLI's answer and its error; more is cut (and says so). */
const OUTPUT_LIMIT = 64 * 1024;

/** `{name}` replaced by `values[name]` in every argument; other braces are kept. */
export function substitute(argv: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return argv.map((arg) =>
    arg.replace(/\{([a-z_]+)\}/g, (whole, name: string) =>
      Object.hasOwn(values, name) ? values[name]! : whole,
    ),
  );
}

export async function runCommand(
  argv: readonly string[],
  options: { env: Readonly<Record<string, string>>; timeoutMs: number; cwd?: string },
): Promise<CommandResult> {
  const [program, ...args] = argv;
  let output = '';
  let cut = false;
  const append = (chunk: Buffer | string): void => {
    const text = String(chunk);
    const room = OUTPUT_LIMIT - output.length;
    if (text.length > room) cut = true;
    output += text.slice(0, Math.max(room, 0));
  };
  return new Promise((resolve) => {
    const child = spawn(program!, args, {
      env: { ...options.env },
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, options.timeoutMs);
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const finish = (exitCode: number | null, note?: string): void => {
      clearTimeout(timer);
      const lines = [output, cut ? '[output cut at 64 KiB]' : '', note ?? ''];
      const text = lines
        .filter((part) => part !== '')
        .reduce((all, part) => (all === '' || all.endsWith('\n') ? all + part : `${all}\n${part}`), '');
      resolve({
        argv: [...argv],
        ok: exitCode === 0 && !timedOut,
        exit_code: timedOut ? null : exitCode,
        output: text,
      });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish(
        null,
        error.code === 'ENOENT'
          ? `cannot run ${program}: not found on PATH`
          : `cannot run ${program}: ${error.message}`,
      );
    });
    child.on('close', (code, signal) => {
      if (timedOut) finish(null, `timed out after ${options.timeoutMs} ms; killed`);
      else finish(code, signal ? `killed by ${signal}` : undefined);
    });
  });
}
