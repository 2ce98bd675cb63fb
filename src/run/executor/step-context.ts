/**
 * What a step sees: the run, its directories, the engine, and one way to run a process. Kept apart from
 * the step lists so the steps read as a recipe and the executor owns the plumbing (logging, masking,
 * stopping).
 */
import type { JobDefinition, LocalTemplate, WorkspaceDefinition } from '../../config/config-model.ts';
import type { Engine } from '../../engine/engine.ts';
import type { PlanSummary } from '../../engine/plan-summary.ts';
import type { RunStateAccess } from '../../state/state-access.ts';
import type { Run } from '../run.ts';

/** Everything a run needs, resolved from the configuration before the first step. */
export interface RunDefinition {
  readonly run: Run;
  /** The workspace deployed, destroyed or checked; for a job, the workspace whose context it runs in. */
  readonly workspace?: WorkspaceDefinition | undefined;
  /** The workspace's template, or a template job's. */
  readonly template?: LocalTemplate | undefined;
  readonly job?: JobDefinition | undefined;
  /** For a job in a workspace's context: that workspace's template (its deployment copy holds its files). */
  readonly contextTemplate?: LocalTemplate | undefined;
  /** Values of the workspace's sensitive variables (from the encrypted store). */
  readonly secrets: Readonly<Record<string, string>>;
  /** The context workspace's last known outputs, for a job's TIDE_OUTPUT_* variables. */
  readonly contextOutputs: Readonly<Record<string, unknown>>;
  /** Where the engine keeps this run's state in Tide, and the run's credential for it. */
  readonly state: RunStateAccess;
}

export interface RunDirectories {
  /** `<dataDir>/runs/<run-id>`: removed when the run ends. */
  readonly runDir: string;
  /** `<dataDir>/plugin-cache`, shared by every run. */
  readonly pluginCacheDir: string;
  /** `<dataDir>/errored-state`: a state neither the engine nor Tide could save (errored-state.ts). */
  readonly erroredStateDir: string;
}

/** What the steps found out; the executor records it on the run. */
export interface StepResults {
  planSummary: PlanSummary | null;
  outputs: Record<string, unknown> | null;
  /** Set by a drift check: true when the plan found changes. */
  drifted: boolean | null;
  /** The resources the plan would change (show -json): a drift check records them. */
  changedAddresses: string[] | null;
}

export interface StepCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Default: the step context's `env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Default: the working directory. */
  readonly cwd?: string;
  /** Keep stdout out of the log and return it (JSON holding sensitive values). */
  readonly captureStdout?: boolean;
  /** Exit codes that mean success. Default: only 0. */
  readonly okExitCodes?: readonly number[];
  /** Sees every line as the log stores it (masked), after it is written. */
  readonly onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface StepContext {
  readonly definition: RunDefinition;
  readonly dirs: RunDirectories;
  readonly engine: Engine;
  /** The working directory (`<runDir>/work`), created by the first step. */
  readonly workDir: string;
  /** The environment of the run's processes; the first step completes it. */
  env: NodeJS.ProcessEnv;
  /** Set by the first step: the state is in Tide's backend (definition.state), not one the code configures. */
  stateInTide: boolean;
  /** Aborted when the run must stop. */
  readonly signal: AbortSignal;
  readonly results: StepResults;
  /**
   * Runs a process in its own group, its output streamed (masked) to the log. Throws StepFailure when the
   * exit code is not in okExitCodes and StepInterrupted when the run was stopped.
   */
  exec(command: StepCommand): Promise<{ exitCode: number; stdout: string }>;
  /** A `system` line in the run's log. */
  system(line: string): void;
  /** More values to mask from now on. */
  addSecrets(values: readonly string[]): void;
  /** Masks secrets in text that is stored or shown outside the log (outputs). */
  mask(text: string): string;
}

export interface RunStep {
  readonly name: string;
  run(ctx: StepContext): Promise<void>;
}

/** A step's process failed: its exit code, or null when it could not be started (`message` says why). */
export class StepFailure extends Error {
  readonly exitCode: number | null;

  constructor(message: string, exitCode: number | null) {
    super(message);
    this.name = 'StepFailure';
    this.exitCode = exitCode;
  }
}

/** The run was stopped (cancel, timeout, shutdown, lost lease) while a step's process ran. */
export class StepInterrupted extends Error {
  readonly exitCode: number | null;

  constructor(exitCode: number | null) {
    super('interrupted');
    this.name = 'StepInterrupted';
    this.exitCode = exitCode;
  }
}
