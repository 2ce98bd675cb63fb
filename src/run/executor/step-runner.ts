/**
 * Walks a run's steps in order: announces each (`==> init`), runs its processes in their own group with
 * the run's stop signal, and turns the first failure or interruption into the run's outcome.
 */
import type { Engine } from '../../engine/engine.ts';
import { runProcess } from '../../engine/process-group.ts';
import { withoutTideVariables } from '../../engine/run-environment.ts';
import type { RunLogSink } from './run-log-sink.ts';
import type { StopReason } from './run-lease.ts';
import {
  StepFailure,
  StepInterrupted,
  type RunDefinition,
  type RunDirectories,
  type RunStep,
  type StepCommand,
  type StepContext,
  type StepResults,
} from './step-context.ts';
import { dataDirLayout } from '../../engine/workdir.ts';

export interface StepsOutcome {
  readonly state: 'succeeded' | 'failed' | 'canceled' | 'timed_out' | 'lease_lost';
  readonly exitCode: number | null;
  /** One line: which step, and why. Null on success. */
  readonly reason: string | null;
  readonly results: StepResults;
}

export interface WalkStepsOptions {
  readonly definition: RunDefinition;
  readonly dirs: RunDirectories;
  readonly engine: Engine;
  /** The run environment's base (run-environment.ts); any TIDE_* variable in it is dropped. */
  readonly env: NodeJS.ProcessEnv;
  readonly sink: RunLogSink;
  /** Aborted (with a StopReason) when the run must stop. */
  readonly signal: AbortSignal;
  /** Between SIGINT and SIGKILL. */
  readonly graceMs: number;
  /** How long the run may take, for the reason line of a timeout. */
  readonly timeoutMs: number;
}

/** Longest reason recorded on the run (500 characters): a one-line summary, the log has the rest. */
const MAX_REASON = 500;

export async function walkSteps(steps: readonly RunStep[], options: WalkStepsOptions): Promise<StepsOutcome> {
  const ctx = new ProcessStepContext(options);
  let lastExitCode: number | null = null;
  for (const step of steps) {
    if (options.signal.aborted) return interrupted(options, step.name, lastExitCode, ctx.results);
    options.sink.write('system', `==> ${step.name}`);
    ctx.lastStderr = null;
    ctx.lastError = null;
    try {
      await step.run(ctx);
      lastExitCode = ctx.lastExitCode ?? lastExitCode;
    } catch (error) {
      if (error instanceof StepInterrupted || options.signal.aborted) {
        const exitCode = error instanceof StepInterrupted ? error.exitCode : null;
        return interrupted(options, step.name, exitCode, ctx.results);
      }
      const exitCode = error instanceof StepFailure ? error.exitCode : null;
      const detail = (error instanceof StepFailure ? ctx.failureDetail() : null) ?? messageOf(error);
      const code = exitCode === null ? '' : ` (exit ${exitCode})`;
      // Written through the sink first: the reason is stored and shown, so it must be masked too.
      const reason = options.sink.write('system', oneLine(`${step.name} failed${code}: ${detail}`));
      return { state: 'failed', exitCode, reason, results: ctx.results };
    }
  }
  return { state: 'succeeded', exitCode: 0, reason: null, results: ctx.results };
}

function interrupted(
  options: WalkStepsOptions,
  step: string,
  exitCode: number | null,
  results: StepResults,
): StepsOutcome {
  const why = (options.signal.reason as StopReason | undefined) ?? 'canceled';
  const reasons: Record<StopReason, string> = {
    canceled: `canceled during ${step}`,
    timed_out: `timed out after ${formatDuration(options.timeoutMs)} during ${step}`,
    shutdown: `canceled during ${step}: the runner shut down`,
    lease_lost: `lease lost during ${step}`,
  };
  const state = why === 'shutdown' ? 'canceled' : why;
  if (why !== 'lease_lost') options.sink.write('system', reasons[why]);
  return { state, exitCode, reason: reasons[why], results };
}

class ProcessStepContext implements StepContext {
  readonly definition: RunDefinition;
  readonly dirs: RunDirectories;
  readonly engine: Engine;
  readonly workDir: string;
  readonly results: StepResults = { planSummary: null, outputs: null, drifted: null, changedAddresses: null };
  env: NodeJS.ProcessEnv;
  stateInTide = false;
  readonly signal: AbortSignal;
  /** The last non-empty stderr line of the current step, masked. */
  lastStderr: string | null = null;
  /** The engine's last `Error: <summary>` line of the current step: its detail may be wrapped over lines. */
  lastError: string | null = null;
  lastExitCode: number | null = null;
  readonly #options: WalkStepsOptions;

  constructor(options: WalkStepsOptions) {
    this.#options = options;
    this.definition = options.definition;
    this.dirs = options.dirs;
    this.engine = options.engine;
    this.signal = options.signal;
    // The steps add the run's own TIDE_* variables; none of the server's may come along with the base.
    this.env = withoutTideVariables(options.env);
    this.workDir = dataDirLayout.workDir(options.dirs.runDir);
  }

  async exec(command: StepCommand): Promise<{ exitCode: number; stdout: string }> {
    const { sink, signal, graceMs } = this.#options;
    sink.write('system', `$ ${[command.command, ...command.args].join(' ')}`);
    const result = await runProcess({
      command: command.command,
      args: command.args,
      cwd: command.cwd ?? this.workDir,
      env: command.env ?? this.env,
      signal,
      graceMs,
      captureStdout: command.captureStdout ?? false,
      onLine: (stream, line) => {
        const written = sink.write(stream, line);
        command.onLine?.(stream, written);
        const masked = written.trim();
        if (stream !== 'stderr' || masked === '') return;
        this.lastStderr = masked;
        if (/^(│\s*)?Error: /.test(masked)) this.lastError = masked.replace(/^│\s*/, '');
      },
    });
    this.lastExitCode = result.exitCode;
    if (result.outcome === 'canceled' || result.outcome === 'timed_out')
      throw new StepInterrupted(result.exitCode);
    if (result.outcome === 'spawn_failed') throw new StepFailure(result.error ?? 'cannot start', null);
    const exitCode = result.exitCode ?? -1;
    if (!(command.okExitCodes ?? [0]).includes(exitCode)) {
      const how = result.signal ? `killed by ${result.signal}` : `exit code ${exitCode}`;
      throw new StepFailure(`${command.command} ended with ${how}`, result.exitCode);
    }
    return { exitCode, stdout: result.stdout };
  }

  /** `Error: <summary> — <last line>` (the engine's), else the last stderr line. */
  failureDetail(): string | null {
    if (this.lastError && this.lastStderr && this.lastError !== this.lastStderr) {
      return `${this.lastError} — ${this.lastStderr}`;
    }
    return this.lastError ?? this.lastStderr;
  }

  system(line: string): void {
    this.#options.sink.write('system', line);
  }

  addSecrets(values: readonly string[]): void {
    this.#options.sink.addSecrets(values);
  }

  mask(text: string): string {
    return this.#options.sink.mask(text);
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
