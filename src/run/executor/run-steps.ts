/**
 * The executor as an ordered list of named steps (STYLE §8): which steps a run goes through is decided
 * here, once, from its action and the workspace's custom commands; the executor only walks the list.
 *
 *   deploy, mode   prepare → init → plan → summarize → apply → outputs
 *   destroy        prepare → init → plan (-destroy) → summarize → apply → outputs (cleared)
 *                  (custom destroy_command: prepare → init → destroy → outputs)
 *   plan (drift)   prepare → init → drift (plan -detailed-exitcode) → summarize
 *
 * No engine call beyond what a person would type (decision 040): summarize takes the engine's own
 * "Plan: …" line from the plan's log and outputs read the state the apply just stored in Tide; each falls
 * back to `show -json` / `output -json` when that cannot tell.
 *   job            prepare → job          (template jobs: the deploy steps on the template)
 *   destroy + job  the destroy steps on a template job's template (its sub-stack, own state)
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_MODE, type CustomCommands } from '../../config/config-model.ts';
import { maskOutputValues, parseOutputs, parseStateOutputs } from '../../engine/outputs.ts';
import {
  changedAddresses,
  parsePlanSummary,
  planSummaryLine,
  type PlanSummary,
} from '../../engine/plan-summary.ts';
import { readRunState } from '../../state/state-access.ts';
import { prepareWorkdir, type WorkdirSource } from '../../engine/workdir.ts';
import { rescuingErroredState } from './errored-state.ts';
import { jobSteps, jobEnvironment } from './job-steps.ts';
import { TideError } from '../../errors/tide-error.ts';
import { StepInterrupted, type RunDefinition, type RunStep, type StepContext } from './step-context.ts';

export const PLAN_FILE = 'tide.tfplan';
const ENGINE_FLAGS = ['-input=false', '-no-color'];

export function stepsFor(definition: RunDefinition): RunStep[] {
  const { run, workspace, job } = definition;
  if (run.action === 'job') {
    if (!job) throw new TideError('invalid_argument', `run ${run.id} is a job run without a job`);
    if (job.type !== 'template') return jobSteps();
    return [prepareStep(templateJobSource(definition)), ...applySteps(undefined)];
  }
  // The destroy of a template job's sub-stack, queued when its workspace's destroy succeeded.
  if (run.action === 'destroy' && job) {
    return [prepareStep(templateJobSource(definition)), ...destroySteps(undefined)];
  }
  if (!workspace) throw new TideError('invalid_argument', `run ${run.id} has no workspace definition`);
  const prepare = prepareStep(workspace);
  switch (run.action) {
    case 'deploy':
    case 'mode':
      return [prepare, ...applySteps(workspace.customDeploy)];
    case 'destroy':
      return [prepare, ...destroySteps(workspace.customDestroy)];
    case 'plan':
      return [
        prepare,
        initStep(workspace.customDeploy?.init_command),
        ...driftSteps(workspace.customDeploy?.plan_command),
      ];
  }
}

function applySteps(custom: CustomCommands | undefined): RunStep[] {
  return [
    initStep(custom?.init_command),
    ...planSteps(['plan', ...ENGINE_FLAGS, `-out=${PLAN_FILE}`], custom?.plan_command),
    applyStep(custom?.apply_command),
    outputsStep(),
  ];
}

function destroySteps(custom: CustomCommands | undefined): RunStep[] {
  const destroy = custom?.destroy_command
    ? [rescuingErroredState(shellStep('destroy', custom.destroy_command))]
    : [
        ...planSteps(['plan', '-destroy', ...ENGINE_FLAGS, `-out=${PLAN_FILE}`], custom?.plan_command),
        applyStep(custom?.apply_command),
      ];
  return [initStep(custom?.init_command), ...destroy, clearOutputsStep()];
}

/** Builds the fresh working directory and the engine's environment. */
function prepareStep(source: WorkdirSource): RunStep {
  return {
    name: 'prepare',
    async run(ctx) {
      const { definition, dirs, engine } = ctx;
      const prepared = await prepareWorkdir({
        runDir: dirs.runDir,
        stateAddress: definition.state.address,
        workspace: source,
        template: definition.template,
        mode: definition.run.mode,
        secrets: definition.secrets,
      });
      ctx.addSecrets(prepared.secretValues);
      ctx.stateInTide = prepared.tideBackend;
      ctx.env = {
        ...ctx.env,
        TF_IN_AUTOMATION: '1',
        TF_INPUT: '0',
        TF_PLUGIN_CACHE_DIR: dirs.pluginCacheDir,
        // No "a new version is available" calls home from a scheduler.
        CHECKPOINT_DISABLE: '1',
        // For custom commands: the engine Tide found, the run and what it deploys.
        TIDE_ENGINE: engine.bin,
        TIDE_RUN_ID: definition.run.id,
        TIDE_WORKSPACE: source.name,
        TIDE_MODE: definition.run.mode ?? DEFAULT_MODE,
        // A template job also gets a job's variables (its own TIDE_WORKSPACE: the context workspace).
        ...(definition.job ? jobEnvironment(definition) : {}),
        ...prepared.env,
        // The run's state credential (http backend): valid only while this run holds its lease.
        ...(prepared.tideBackend
          ? {
              TF_HTTP_USERNAME: definition.state.credential.username,
              TF_HTTP_PASSWORD: definition.state.credential.password,
            }
          : {}),
      };
      const backend = prepared.tideBackend
        ? `state in Tide (${definition.state.key})`
        : 'the backend the code configures';
      ctx.system(`working directory ${prepared.workDir}, ${backend}`);
      if (prepared.undeclared.length > 0) {
        const names = prepared.undeclared.join(', ');
        ctx.system(`not passed to ${engine.name}, the code declares no such variable: ${names}`);
      }
    },
  };
}

function initStep(custom: string | undefined): RunStep {
  return engineStep('init', ['init', ...ENGINE_FLAGS], custom);
}

function applyStep(custom: string | undefined): RunStep {
  return rescuingErroredState({
    name: 'apply',
    async run(ctx) {
      if (custom) return shellStep('apply', custom).run(ctx);
      // A custom plan command may not write the plan file: then apply plans and applies in one go.
      const planned = await exists(path.join(ctx.workDir, PLAN_FILE));
      const args = planned
        ? ['apply', ...ENGINE_FLAGS, PLAN_FILE]
        : ['apply', ...ENGINE_FLAGS, '-auto-approve'];
      await ctx.exec({ command: ctx.engine.bin, args });
    },
  });
}

/**
 * The plan, then its summary. The engine's own summary line is taken from the plan's log as it streams
 * by; a custom plan command's output is not the engine's to read, so its plan file is shown instead.
 */
function planSteps(args: readonly string[], custom: string | undefined): RunStep[] {
  const seen = summaryLines();
  const plan: RunStep = custom
    ? shellStep('plan', custom)
    : {
        name: 'plan',
        run: async (ctx) => void (await ctx.exec({ command: ctx.engine.bin, args, onLine: seen.onLine })),
      };
  return [plan, summarizeStep(seen)];
}

/** Drift check: exit 0 = no changes, 2 = changes (drift), anything else = the check failed. */
function driftSteps(custom: string | undefined): RunStep[] {
  const seen = summaryLines();
  const drift: RunStep = {
    name: 'drift',
    async run(ctx) {
      const { exitCode } = custom
        ? await ctx.exec({ command: '/bin/sh', args: ['-c', custom], okExitCodes: [0, 2] })
        : await ctx.exec({
            command: ctx.engine.bin,
            args: ['plan', '-detailed-exitcode', ...ENGINE_FLAGS, `-out=${PLAN_FILE}`],
            okExitCodes: [0, 2],
            onLine: seen.onLine,
          });
      ctx.results.drifted = exitCode === 2;
      ctx.system(exitCode === 2 ? 'drift detected: the plan has changes' : 'no drift: the plan is empty');
    },
  };
  return [drift, summarizeStep(seen)];
}

interface SummaryLines {
  readonly onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  /** The summary, when the plan printed exactly one summary line. */
  summary(): PlanSummary | null;
}

function summaryLines(): SummaryLines {
  const found: PlanSummary[] = [];
  return {
    onLine(stream, line) {
      const summary = stream === 'stdout' ? planSummaryLine(line) : null;
      if (summary) found.push(summary);
    },
    summary: () => (found.length === 1 ? found[0]! : null),
  };
}

/**
 * The plan summary: the engine's line when the plan printed one; else `show -json` of the plan file, which
 * stays out of the log (it holds every variable value). A drift check with changes needs the changed
 * addresses, which only `show -json` lists.
 */
function summarizeStep(seen: SummaryLines): RunStep {
  return {
    name: 'summarize',
    async run(ctx) {
      if (!(await exists(path.join(ctx.workDir, PLAN_FILE)))) {
        ctx.system(`no ${PLAN_FILE} (custom plan command): no plan summary`);
        return;
      }
      const fromLog = seen.summary();
      const drifted = ctx.results.drifted === true;
      let summary: PlanSummary;
      if (fromLog && !drifted) {
        summary = fromLog;
        if (ctx.results.drifted === false) ctx.results.changedAddresses = [];
      } else {
        const { stdout } = await ctx.exec({
          command: ctx.engine.bin,
          args: ['show', '-json', PLAN_FILE],
          captureStdout: true,
        });
        summary = parsePlanSummary(stdout);
        ctx.results.changedAddresses = changedAddresses(stdout);
      }
      ctx.results.planSummary = summary;
      ctx.system(`plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy`);
    },
  };
}

/** Outputs, sensitive values redacted and secrets masked; the raw JSON stays out of the log. */
function outputsStep(): RunStep {
  return {
    name: 'outputs',
    async run(ctx) {
      const outputs = (ctx.stateInTide ? await outputsInTide(ctx) : null) ?? (await outputsFromEngine(ctx));
      ctx.results.outputs = maskOutputValues(outputs, (text) => ctx.mask(text));
      ctx.system(`outputs: ${Object.keys(ctx.results.outputs).join(', ') || '(none)'}`);
    },
  };
}

/** The outputs in the state the apply just stored in Tide; null (and why, in the log) when unreadable. */
async function outputsInTide(ctx: StepContext): Promise<Record<string, unknown> | null> {
  try {
    return parseStateOutputs(await readRunState(ctx.definition.state, ctx.signal));
  } catch (error) {
    if (ctx.signal.aborted) throw new StepInterrupted(null);
    ctx.system(
      `cannot read the outputs from the state in Tide (${(error as Error).message}): asking ${ctx.engine.name}`,
    );
    return null;
  }
}

async function outputsFromEngine(ctx: StepContext): Promise<Record<string, unknown>> {
  const { stdout } = await ctx.exec({
    command: ctx.engine.bin,
    args: ['output', '-json'],
    captureStdout: true,
  });
  return parseOutputs(stdout);
}

function clearOutputsStep(): RunStep {
  return {
    name: 'outputs',
    async run(ctx) {
      ctx.results.outputs = {};
      ctx.system('outputs cleared: the workspace is destroyed');
    },
  };
}

/** An engine command, or the workspace's custom command that replaces it. */
function engineStep(name: string, args: readonly string[], custom: string | undefined): RunStep {
  if (custom) return shellStep(name, custom);
  return { name, run: async (ctx) => void (await ctx.exec({ command: ctx.engine.bin, args })) };
}

function shellStep(name: string, command: string): RunStep {
  return { name, run: async (ctx) => void (await ctx.exec({ command: '/bin/sh', args: ['-c', command] })) };
}

/** A template job applies the template as its own small stack, with its own state. */
function templateJobSource(definition: RunDefinition): WorkdirSource {
  const { template, job } = definition;
  if (!template || !job) throw new TideError('invalid_argument', 'a template job needs its template');
  return {
    name: definition.workspace?.name ?? job.name,
    directory: template.directory,
    file: '',
    files: [],
    variables: {},
    modes: {},
    sensitiveVariables: [],
  };
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
