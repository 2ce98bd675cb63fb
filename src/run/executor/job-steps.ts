/**
 * Steps of `script` and `command` jobs: prepare a scratch directory (and, in a workspace's context, a copy
 * of the deployed workspace's files: WORKSPACE_DEPLOYMENT_DIR), then run the job's process. The job sees
 * the run environment (the host basics and TIDE_RUN_ENV_PASSTHROUGH, never the server's settings), its own
 * `environment`, who it is (TIDE_* and the Provisioner's WORKSPACE_ID / JOB_NAME /
 * WORKSPACE_DEPLOYMENT_DIR) and, in a workspace's context, that workspace's last outputs. docs/jobs.md.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dataDirLayout } from '../../engine/workdir.ts';
import { TideError } from '../../errors/tide-error.ts';
import { PRIVATE_DIR_MODE } from '../../files/file-modes.ts';
import type { RunDefinition, RunStep, StepContext } from './step-context.ts';

export const JOB_SCRIPT_FILE = 'job-script';
/** `<runDir>/deployment`: the deployed workspace's files, where the Provisioner ran its jobs. */
export const DEPLOYMENT_DIR = 'deployment';

export function jobSteps(): RunStep[] {
  return [
    {
      name: 'prepare',
      async run(ctx) {
        const workDir = dataDirLayout.workDir(ctx.dirs.runDir);
        await rm(workDir, { recursive: true, force: true });
        await mkdir(workDir, { recursive: true, mode: PRIVATE_DIR_MODE });
        const deploymentDir = await copyDeployment(ctx);
        ctx.env = {
          ...ctx.env,
          ...jobEnvironment(ctx.definition),
          ...(deploymentDir ? { WORKSPACE_DEPLOYMENT_DIR: deploymentDir } : {}),
        };
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

/**
 * A copy of the context workspace's files as deployed: its template's files, then the workspace's own
 * over them (as a deploy's working directory is built). Null for a job with no workspace context.
 */
async function copyDeployment(ctx: StepContext): Promise<string | null> {
  const { workspace, contextTemplate } = ctx.definition;
  if (!workspace) return null;
  const target = path.join(ctx.dirs.runDir, DEPLOYMENT_DIR);
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true, mode: PRIVATE_DIR_MODE });
  const sources = [
    ...(contextTemplate ? [{ directory: contextTemplate.directory, files: contextTemplate.files }] : []),
    { directory: workspace.directory, files: workspace.files },
  ];
  for (const source of sources) {
    for (const file of source.files) {
      const to = path.join(target, file);
      await mkdir(path.dirname(to), { recursive: true, mode: PRIVATE_DIR_MODE });
      await copyFile(path.join(source.directory, file), to);
    }
  }
  return target;
}

/**
 * The job's directory: by default the deployment copy in a workspace's context (so `./setup.sh` works as
 * it did under the Provisioner), else a scratch directory. `working_dir`: relative to that directory
 * (created), or absolute (must exist).
 */
async function jobWorkingDir(ctx: StepContext): Promise<string> {
  const workingDir = requireJob(ctx.definition).workingDir;
  const base = ctx.definition.workspace ? path.join(ctx.dirs.runDir, DEPLOYMENT_DIR) : ctx.workDir;
  if (!workingDir) return base;
  if (path.isAbsolute(workingDir)) return workingDir;
  const dir = path.resolve(base, workingDir);
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
