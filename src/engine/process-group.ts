/**
 * Runs one process in its own process group and streams its output line by line. Stopping it (abort or
 * timeout) sends SIGINT to the whole group first — the engine then releases its state lock and stops its
 * provisioners — and SIGKILL to the group only after a grace period. Whatever is left of the group when
 * the output closes is killed too, so a run never leaves processes behind. A watchdog per group
 * (`group-watchdog.ts`) stops the group if this process dies first, SIGKILL included.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { watchGroup } from './group-watchdog.ts';
import { LineSplitter } from './line-splitter.ts';

export type OutputStream = 'stdout' | 'stderr';

export interface RunProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Every complete line (without its `\n` or `\r\n`); a last line without a newline is delivered at close. */
  readonly onLine: (stream: OutputStream, line: string) => void;
  /** Aborting stops the process group: outcome `canceled`. */
  readonly signal?: AbortSignal;
  /** Stops the process group after this long: outcome `timed_out`. Default: no limit. */
  readonly timeoutMs?: number;
  /** Between SIGINT and SIGKILL. Default 10 s. */
  readonly graceMs?: number;
  /** Collect stdout verbatim into `stdout` instead of passing it to onLine (JSON the log must not see). */
  readonly captureStdout?: boolean;
}

export interface ProcessResult {
  /** Null when the process was killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** `spawn_failed`: the command could not be started (`error` says why); nothing ran. */
  readonly outcome: 'exited' | 'timed_out' | 'canceled' | 'spawn_failed';
  readonly error: string | null;
  /** The leader's pid, which is also the process group's id; null when it never started. */
  readonly pid: number | null;
  /** Only with captureStdout. */
  readonly stdout: string;
}

export const DEFAULT_GRACE_MS = 10_000;

export function runProcess(options: RunProcessOptions): Promise<ProcessResult> {
  // Canceled before it started: nothing to start. (Signalling a group that has only just been created
  // could race the shell's start-up and leave it to the grace period's SIGKILL.)
  if (options.signal?.aborted)
    return Promise.resolve({
      exitCode: null,
      signal: null,
      outcome: 'canceled',
      error: null,
      pid: null,
      stdout: '',
    });
  return new Promise((resolve) => {
    const child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const watchdog =
      child.pid === undefined
        ? null
        : watchGroup(child.pid, (reason) =>
            options.onLine(
              'stderr',
              `tide: the engine watchdog did not start (${reason}): if Tide dies during this step, its processes may outlive it`,
            ),
          );
    const output = collectOutput(child, options);
    const stopper = new GroupStopper(child, options.graceMs ?? DEFAULT_GRACE_MS);
    const onAbort = (): void => stopper.stop('canceled');
    const timeout =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => stopper.stop('timed_out'), options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    let spawnError: string | null = null;
    child.on('error', (error: NodeJS.ErrnoException) => {
      // Only a failed spawn is fatal; an error from kill() on an exited group is not worth reporting.
      if (child.pid === undefined) spawnError = describeSpawnError(options.command, error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timeout);
      options.signal?.removeEventListener('abort', onAbort);
      stopper.closed();
      watchdog?.release();
      resolve({
        // On a failed spawn Node reports the negated errno as the code; no process ever exited.
        exitCode: spawnError ? null : code,
        signal,
        outcome: spawnError ? 'spawn_failed' : (stopper.reason ?? 'exited'),
        error: spawnError,
        pid: child.pid ?? null,
        stdout: output.end(),
      });
    });
  });
}

/** Streams stderr (and stdout, unless captured) as lines; end() flushes the last lines, returns captured stdout. */
function collectOutput(child: ChildProcessByStdio<null, Readable, Readable>, options: RunProcessOptions) {
  const captured: Buffer[] = [];
  const stdout = new LineSplitter((line) => options.onLine('stdout', line));
  const stderr = new LineSplitter((line) => options.onLine('stderr', line));
  child.stdout.on('data', (data: Buffer) =>
    options.captureStdout ? captured.push(data) : stdout.push(data),
  );
  child.stderr.on('data', (data: Buffer) => stderr.push(data));
  return {
    end(): string {
      stdout.end();
      stderr.end();
      return Buffer.concat(captured).toString('utf8');
    },
  };
}

/** SIGINT to the group, SIGKILL after the grace period; SIGKILL to whatever is left once output closed. */
class GroupStopper {
  reason: 'timed_out' | 'canceled' | null = null;
  readonly #child: ChildProcess;
  readonly #graceMs: number;
  #killTimer: NodeJS.Timeout | undefined;

  constructor(child: ChildProcess, graceMs: number) {
    this.#child = child;
    this.#graceMs = graceMs;
  }

  stop(why: 'timed_out' | 'canceled'): void {
    const pid = this.#child.pid;
    if (this.reason || pid === undefined) return;
    this.reason = why;
    signalGroup(pid, 'SIGINT');
    this.#killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.#graceMs);
  }

  closed(): void {
    clearTimeout(this.#killTimer);
    // The leader is gone and its output closed; anything still in its group (a backgrounded child that
    // redirected its output) would outlive the run.
    if (this.#child.pid !== undefined) signalGroup(this.#child.pid, 'SIGKILL');
  }
}

/** True while any process of the group exists (zombies included). */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function describeSpawnError(command: string, error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT')
    return `cannot run ${command}: no such file or directory (or its cwd is missing)`;
  if (error.code === 'EACCES') return `cannot run ${command}: permission denied`;
  return `cannot run ${command}: ${error.message}`;
}
