/**
 * Steps of `script` and `command` jobs: prepare a scratch directory, then run the job's process. The job
 * sees the run environment (the host basics and TIDE_RUN_ENV_PASSTHROUGH, never the server's settings), its
 * own `environment`, who it is (TIDE_* and the Provisioner's WORKSPACE_ID / JOB_NAME) and, in a
 * workspace's context, that workspace's last outputs.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dataDirLayout } from '../../engine/workdir.ts';
import { TideError } from '../../errors/tide-error.ts';
import { PRIVATE_DIR_MODE } from '../../files/file-modes.ts';
import type { RunDefinition, RunStep, StepContext } from './step-context.ts';

export const JOB_SCRIPT_FILE = 'job-script';

export function jobSteps(): RunStep[] {
  return [
    {
      name: 'prepare',
      async run(ctx) {
        const workDir = dataDirLayout.workDir(ctx.dirs.runDir);
        await rm(workDir, { recursive: true, force: true });
        await mkdir(workDir, { recursive: true, mode: PRIVATE_DIR_MODE });
        ctx.env = { ...ctx.env, ...jobEnvironment(ctx.definition) };
      },
    },
    { name: 'job', run: runJob },
  ];
}

async function runJob(ctx: StepContext): Promise<void> {
  const job = requireJob(ctx.definition);
  const cwd = await jobWorkingDir(ctx);
  if (job.type === 'script') {
    const script = job.script ?? '';
    const file = path.join(ctx.dirs.runDir, JOB_SCRIPT_FILE);
    await writeFile(file, script, { mode: 0o700 });
    // A `#!` line picks the interpreter (the kernel reads it); otherwise bash, as the Provisioner did.
    const direct = script.startsWith('#!');
    await ctx.exec({ command: direct ? file : '/bin/bash', args: direct ? [] : [file], cwd });
    return;
  }
  const command = job.command;
  if (typeof command === 'string') {
    await ctx.exec({ command: '/bin/sh', args: ['-c', command], cwd });
  } else if (command && command.length > 0) {
    const [bin = '', ...args] = command;
    await ctx.exec({ command: bin, args, cwd });
  } else {
    throw new TideError('invalid_argument', `job ${job.name} has no command`);
  }
}

/** `working_dir`: relative to the job's scratch directory (created), or absolute (must exist). */
async function jobWorkingDir(ctx: StepContext): Promise<string> {
  const workingDir = requireJob(ctx.definition).workingDir;
  if (!workingDir) return ctx.workDir;
  if (path.isAbsolute(workingDir)) return workingDir;
  const dir = path.resolve(ctx.workDir, workingDir);
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  return dir;
}

/** The variables a job adds to the run environment. */
export function jobEnvironment(definition: RunDefinition): Record<string, string> {
  const job = requireJob(definition);
  const workspace = definition.workspace?.name ?? '';
  const env: Record<string, string> = {
    ...job.environment,
    TIDE_WORKSPACE: workspace,
    TIDE_JOB: job.name,
    TIDE_RUN_ID: definition.run.id,
    // The Provisioner's names, so its job scripts keep working unchanged.
    WORKSPACE_ID: workspace,
    JOB_NAME: job.name,
  };
  for (const [name, value] of Object.entries(definition.contextOutputs)) {
    env[outputVariable(name)] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return env;
}

/** `TIDE_OUTPUT_<NAME>`: upper-cased, anything but letters, digits and `_` becomes `_`. */
export function outputVariable(name: string): string {
  return `TIDE_OUTPUT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

function requireJob(definition: RunDefinition) {
  if (!definition.job)
    throw new TideError('invalid_argument', `run ${definition.run.id} has no job definition`);
  return definition.job;
}
