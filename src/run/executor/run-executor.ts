/**
 * Executes one claimed run (state `running`, lease held) from start to its final state: resolves what to
 * run from the current configuration, walks the steps, streams the masked log, keeps the lease alive,
 * stops on cancel, timeout or shutdown, and records the outcome — on the run and on the workspace's
 * observed status in one transaction, fenced: a runner that lost its lease writes nothing. It never leaves
 * a run `running`: if even the final write fails, the lease runs out and the reaper marks the run
 * `orphaned` (and its workspace, still `deploying` / `destroying` since nothing was written, failed).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { JobDefinition, LocalTemplate, WorkspaceDefinition } from '../../config/config-model.ts';
import { defaultPolicy } from '../../config/config-model.ts';
import type { Engine } from '../../engine/engine.ts';
import { DEFAULT_GRACE_MS } from '../../engine/process-group.ts';
import { runEnvironment } from '../../engine/run-environment.ts';
import { becameDrifted } from '../../drift/drift-outcome.ts';
import type { DriftNotifier } from '../../drift/drift-notifier.ts';
import { dataDirLayout } from '../../engine/workdir.ts';
import { stateAccessFor, type StateBackendEndpoint } from '../../state/state-access.ts';
import { TideError, toTideError } from '../../errors/tide-error.ts';
import type { RunEventBus } from '../run-events.ts';
import type { Logger } from '../../log/logger.ts';
import type { Db } from '../../store/schema.ts';
import type { Clock } from '../../time/clock.ts';
import type { WorkspaceStatus } from '../../workspace/workspace-status.repo.ts';
import type { TtlEffect } from '../../workspace/ttl.ts';
import { finishRun, recordRunStart, type ChainsFired, type OutcomeAnnouncer } from '../run-outcome.repo.ts';
import { getRun, type Fence } from '../run.repo.ts';
import type { Run } from '../run.ts';
import { RunLogSink } from './run-log-sink.ts';
import { watchLease, type LeaseKeeper, type StopReason } from './run-lease.ts';
import { stepsFor } from './run-steps.ts';
import type { RunDefinition, RunDirectories, RunStep } from './step-context.ts';
import { walkSteps, type StepsOutcome } from './step-runner.ts';
import { lastWorkspaceOutputs } from './workspace-outputs.repo.ts';
import { changeAtEnd, changeAtStart, INFRASTRUCTURE_STEPS } from './workspace-outcome.ts';

export interface ExecutorContext {
  readonly db: Db;
  readonly hub: RunEventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Holds `runs/` and `plugin-cache/`. */
  readonly dataDir: string;
  readonly engine: Engine;
  /** Tide's state backend: where the engine reaches it, and the runs' credentials for it. */
  readonly stateBackend: StateBackendEndpoint;
  /** The lease length the run was claimed with; renewed every leaseMs / 3. */
  readonly leaseMs: number;
  /** The runner's supervised lease keeper (run-lease.ts); without one, the run keeps its lease itself. */
  readonly leases?: LeaseKeeper;
  /** From the current configuration; undefined when it is not (or no longer) configured. */
  readonly resolveWorkspace: (name: string) => WorkspaceDefinition | undefined;
  /** `workspace` is the run's (`_standalone_` for standalone jobs). */
  readonly resolveJob: (workspace: string, job: string) => JobDefinition | undefined;
  /** A local template, or a git template at its pinned commit (fetched first on this replica if need be). */
  readonly resolveTemplate: (name: string) => LocalTemplate | undefined | Promise<LocalTemplate | undefined>;
  /**
   * The job chains a finished run fires (event triggers, a template job's destroy), queued in the
   * transaction that records its outcome. Default: none.
   */
  readonly chainsFired?: ChainsFired;
  /** Announces a workspace that became drifted, in the check's outcome transaction. Default: none. */
  readonly driftNotifier?: DriftNotifier;
  /** What a finished run does to its workspace's TTL (src/workspace/ttl-policy.ts). Default: nothing. */
  readonly ttlOf?: (run: Run, now: Date) => TtlEffect;
  /** Notifications of a finished run, written with its outcome. Default: none. */
  readonly announceOutcome?: OutcomeAnnouncer;
  /** Values of a workspace's sensitive variables. Default: none. */
  readonly resolveSecrets?: (workspace: string) => Promise<Readonly<Record<string, string>>>;
  /** The environment processes start from. Default: the allowlisted part of process.env (run-environment.ts). */
  readonly baseEnv?: NodeJS.ProcessEnv;
  /** Between SIGINT and SIGKILL. Default 10 s. */
  readonly graceMs?: number;
  /** Log batching: flush every 250 ms or 100 lines by default. */
  readonly logFlushIntervalMs?: number;
  readonly logMaxLines?: number;
}

export interface ExecuteRunOptions {
  /** Aborting cancels the run as the runner shuts down. */
  readonly signal?: AbortSignal;
  /**
   * Given, the removal of the run's directory is handed to it instead of awaited: a runner frees the
   * run's slot first, because removing a working directory took longer than claiming the next run.
   */
  readonly removeLater?: (remove: () => Promise<void>) => void;
}

export async function executeRun(
  run: Run,
  ctx: ExecutorContext,
  options: ExecuteRunOptions = {},
): Promise<Run> {
  if (run.state !== 'running' || !run.lease_owner) {
    throw new TideError('invalid_argument', `run ${run.id} is not claimed (state ${run.state})`);
  }
  // Every line logged while executing (here, the lease, the log sink) names the run and its workspace.
  ctx = { ...ctx, logger: ctx.logger.child({ run_id: run.id, workspace: run.workspace }) };
  const stopper = stopControl(options.signal);
  const sink = new RunLogSink({
    ...ctx,
    runId: run.id,
    workspace: run.workspace,
    flushIntervalMs: ctx.logFlushIntervalMs,
    maxLines: ctx.logMaxLines,
    onError: (error) => ctx.logger.error({ err: error }, 'cannot store run log chunk'),
  });
  const lease = watchLease(run, { ...ctx, stop: stopper.stop });
  const dirs = directoriesOf(run, ctx.dataDir);
  const progress: Progress = { started: false, applyBegan: false };
  ctx.hub.emit('run.updated', run);
  try {
    const outcome = await execute(run, ctx, { dirs, sink, signal: stopper.signal, progress }).catch(
      (error: unknown) => internalFailure(error, run, ctx, sink),
    );
    lease.close();
    // Errors from here on are the store's: they propagate, and the lease running out hands the run to the
    // reaper, so it is not left running.
    return await finish(run, outcome, progress, ctx, sink);
  } finally {
    lease.close();
    stopper.dispose();
    const remove = (): Promise<void> => rm(dirs.runDir, { recursive: true, force: true }).catch(() => {});
    if (options.removeLater) options.removeLater(remove);
    else await remove();
  }
}

/** One abort signal for every reason to stop; the first reason wins. A shutdown signal feeds it. */
function stopControl(shutdown: AbortSignal | undefined) {
  const controller = new AbortController();
  const stop = (reason: StopReason): void => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onShutdown = (): void => stop('shutdown');
  shutdown?.addEventListener('abort', onShutdown, { once: true });
  if (shutdown?.aborted) onShutdown();
  return {
    signal: controller.signal,
    stop,
    dispose: () => shutdown?.removeEventListener('abort', onShutdown),
  };
}

/** Something other than a step failed (the store, the file system): the run fails, saying so. */
function internalFailure(error: unknown, run: Run, ctx: ExecutorContext, sink: RunLogSink): StepsOutcome {
  ctx.logger.error({ err: error }, 'run execution failed');
  const message = error instanceof Error ? error.message : String(error);
  const reason = sink.write('system', `internal error: ${message}`.replace(/\s+/g, ' '));
  return {
    state: 'failed',
    exitCode: null,
    reason,
    results: { planSummary: null, outputs: null, drifted: null, changedAddresses: null },
  };
}

/** How far the run got with its workspace, for the status its end leaves (workspace-outcome.ts). */
interface Progress {
  /** The workspace was marked `deploying` / `destroying` for this run. */
  started: boolean;
  /** A step that changes infrastructure began. */
  applyBegan: boolean;
}

interface ExecuteParts {
  readonly dirs: RunDirectories;
  readonly sink: RunLogSink;
  readonly signal: AbortSignal;
  readonly progress: Progress;
}

const LEASE_LOST: StepsOutcome = {
  state: 'lease_lost',
  exitCode: null,
  reason: null,
  results: { planSummary: null, outputs: null, drifted: null, changedAddresses: null },
};

async function execute(run: Run, ctx: ExecutorContext, parts: ExecuteParts): Promise<StepsOutcome> {
  const { sink, signal, dirs, progress } = parts;
  if (!(await recordStart(run, ctx, progress))) return LEASE_LOST;
  const resolved = await resolveDefinition(run, ctx);
  const what = run.job ? `job ${run.job}` : `${run.action}${run.mode ? ` (mode ${run.mode})` : ''}`;
  sink.write(
    'system',
    `run ${run.id}: ${what} of ${run.workspace}, ${ctx.engine.name} ${ctx.engine.version}`,
  );
  if (typeof resolved === 'string') {
    const reason = sink.write('system', resolved);
    return {
      state: 'failed',
      exitCode: null,
      reason,
      results: { planSummary: null, outputs: null, drifted: null, changedAddresses: null },
    };
  }
  sink.addSecrets(secretValuesOf(resolved));
  const timeoutMs =
    resolved.job?.timeoutMs ?? resolved.workspace?.policy.timeoutMs ?? defaultPolicy.timeoutMs;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort('timed_out'), timeoutMs);
  try {
    await mkdir(dirs.pluginCacheDir, { recursive: true });
    return await walkSteps(noticingApply(stepsFor(resolved), progress), {
      definition: resolved,
      dirs,
      engine: ctx.engine,
      env: { ...(ctx.baseEnv ?? runEnvironment(process.env)) },
      sink,
      // The first of cancel/shutdown/lease loss and the deadline: its reason says which.
      signal: AbortSignal.any([signal, deadline.signal]),
      graceMs: ctx.graceMs ?? DEFAULT_GRACE_MS,
      timeoutMs,
    });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Marks the workspace `deploying` / `destroying` (a deploy or destroy of a configured workspace), fenced.
 * False when the lease is already lost: the run's new owner records everything from here on.
 */
async function recordStart(run: Run, ctx: ExecutorContext, progress: Progress): Promise<boolean> {
  const change = changeAtStart(run);
  // A workspace gone from the configuration gets no status row from a run that cannot start.
  if (!change || !ctx.resolveWorkspace(run.workspace)) return true;
  try {
    emitStatus(ctx, await recordRunStart(ctx.db, run, fenceOf(run), change, ctx.clock.now()));
  } catch (error) {
    if (error instanceof TideError && error.code === 'conflict') return false;
    throw error;
  }
  progress.started = true;
  return true;
}

/** The steps, each that changes infrastructure noting in `progress` that it began. */
function noticingApply(steps: readonly RunStep[], progress: Progress): RunStep[] {
  return steps.map((step) =>
    INFRASTRUCTURE_STEPS.has(step.name)
      ? {
          ...step,
          run: (stepContext) => {
            progress.applyBegan = true;
            return step.run(stepContext);
          },
        }
      : step,
  );
}

/** What to run, from the current configuration, or why it cannot run. */
async function resolveDefinition(run: Run, ctx: ExecutorContext): Promise<RunDefinition | string> {
  const job = run.job ? ctx.resolveJob(run.workspace, run.job) : undefined;
  if (run.job && !job) return `job ${run.job} (${run.workspace}) is not in the configuration`;
  const workspaceName = job ? job.workspace : run.workspace;
  const workspace = workspaceName ? ctx.resolveWorkspace(workspaceName) : undefined;
  if (!job && !workspace) return `workspace ${run.workspace} is not in the configuration`;
  const templateName = job ? job.template : workspace?.template;
  // A job in a workspace's context also gets the workspace's template: its deployed files are a copy of both.
  const contextTemplateName = job ? workspace?.template : undefined;
  let template: LocalTemplate | undefined;
  let contextTemplate: LocalTemplate | undefined;
  for (const name of [templateName, contextTemplateName]) {
    if (!name) continue;
    try {
      const resolved = await ctx.resolveTemplate(name);
      if (name === templateName) template = resolved;
      if (name === contextTemplateName) contextTemplate = resolved;
    } catch (error) {
      return `template ${name} could not be prepared: ${toTideError(error).message}`;
    }
  }
  if (templateName && !template) return `template ${templateName} is not in the configuration`;
  const contextOutputs = job && workspace ? await lastWorkspaceOutputs(ctx.db, workspace.name) : {};
  const secrets = !job && workspace && ctx.resolveSecrets ? await ctx.resolveSecrets(workspace.name) : {};
  const state = stateAccessFor(ctx.stateBackend, run);
  return { run, workspace, template, job, contextTemplate, secrets, contextOutputs, state };
}

async function finish(
  run: Run,
  outcome: StepsOutcome,
  progress: Progress,
  ctx: ExecutorContext,
  sink: RunLogSink,
): Promise<Run> {
  const { db, hub, clock, logger } = ctx;
  const { state, results } = outcome;
  if (state === 'lease_lost') return abandon(run, ctx, sink);
  sink.write('system', `==> ${state}`);
  await sink.flush();
  const now = clock.now();
  const end = {
    state,
    drifted: results.drifted,
    planSummary: results.planSummary,
    changedAddresses: results.changedAddresses,
    at: now,
    ...progress,
  };
  let final: Run;
  let status: WorkspaceStatus | null;
  let chained: readonly Run[];
  try {
    ({
      run: final,
      workspace: status,
      chained,
    } = await finishRun(
      db,
      run.id,
      state,
      now,
      {
        exit_code: outcome.exitCode,
        reason: outcome.reason,
        plan_summary: results.planSummary,
        outputs: state === 'succeeded' ? results.outputs : null,
        fence: fenceOf(run),
      },
      (_, current) => changeAtEnd(run, end, current),
      {
        fires: ctx.chainsFired,
        applied: (trx, _, before, after) => announceDrift(ctx, trx, before, after),
        ttlOf: ctx.ttlOf ? (finished) => ctx.ttlOf!(finished, now) : undefined,
        announce: ctx.announceOutcome,
      },
    ));
  } catch (error) {
    if (error instanceof TideError && error.code === 'conflict') return abandon(run, ctx, sink);
    throw error;
  }
  hub.emit('run.updated', final);
  for (const other of chained) hub.emit('run.updated', other);
  if (status) emitStatus(ctx, status, run.action === 'plan');
  logger.info({ state: final.state, reason: final.reason }, 'run finished');
  return final;
}

/** Another runner (or the reaper) owns the run now: write nothing more, report what the store says. */
async function abandon(run: Run, ctx: ExecutorContext, sink: RunLogSink): Promise<Run> {
  sink.discard();
  ctx.logger.warn('lease lost: the run was stopped and its outcome left to its new owner');
  return (await getRun(ctx.db, run.id)) ?? run;
}

function fenceOf(run: Run): Fence {
  return { owner: run.lease_owner ?? '', fencingToken: run.fencing_token };
}

function emitStatus(ctx: ExecutorContext, status: WorkspaceStatus, driftCheck = false): void {
  ctx.hub.emit('workspace.status', {
    workspace: status.workspace,
    status: status.status,
    mode: status.mode,
    drifted: status.drifted,
    ...(driftCheck ? { drift_check: status.drifted ? 'drifted' : 'clean' } : {}),
  });
}

/** A workspace that became drifted is announced with the outcome (src/drift/drift-notifier.ts). */
async function announceDrift(
  ctx: ExecutorContext,
  trx: Db,
  before: WorkspaceStatus | null,
  after: WorkspaceStatus | null,
): Promise<void> {
  if (!ctx.driftNotifier || !after || !becameDrifted(before, after)) return;
  await ctx.driftNotifier(trx, {
    workspace: after.workspace,
    run_id: after.drift_run_id ?? '',
    summary: after.drift_summary,
    addresses: after.drift_addresses,
  });
}

function directoriesOf(run: Run, dataDir: string): RunDirectories {
  return {
    runDir: path.resolve(dataDirLayout.runDir(dataDir, run.id)),
    pluginCacheDir: path.resolve(dataDirLayout.pluginCacheDir(dataDir)),
    erroredStateDir: path.resolve(dataDirLayout.erroredStateDir(dataDir)),
  };
}

/** Secrets, the configured values of sensitive variables and the state credential, masked from the first line on. */
function secretValuesOf(definition: RunDefinition): string[] {
  const values = [...Object.values(definition.secrets), definition.state.credential.password];
  for (const name of definition.workspace?.sensitiveVariables ?? []) {
    const value = definition.workspace?.variables[name];
    if (value !== undefined && value !== null)
      values.push(typeof value === 'string' ? value : JSON.stringify(value));
  }
  return values;
}
