import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobDefinition } from '../../config/config-model.ts';
import { STANDALONE_WORKSPACE, type Run } from '../run.ts';
import { DEPLOYMENT_DIR, JOB_SCRIPT_FILE, jobEnvironment, jobSteps, outputVariable } from './job-steps.ts';
import type { RunDefinition, StepCommand, StepContext } from './step-context.ts';
import { jobDefinition, workspaceDefinition } from './test-fixtures.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const run = { id: 'run-7', workspace: STANDALONE_WORKSPACE } as Run;

function definition(job: JobDefinition | undefined, more: Partial<RunDefinition> = {}): RunDefinition {
  const state = {
    key: `_jobs/${run.workspace}/${job?.name ?? ''}`,
    address: 'http://127.0.0.1:8080/api/v1/state/unused',
    credential: { username: run.id, password: 'unused-by-jobs' },
  };
  return { run, job, secrets: {}, contextOutputs: {}, state, ...more };
}

/** The steps' view of a run whose processes are only recorded: what a job would execute, and where. */
function stepContext(def: RunDefinition): StepContext & { commands: StepCommand[] } {
  const runDir = mkdtempSync(path.join(tmpdir(), 'tide-job-steps-'));
  dirs.push(runDir);
  const commands: StepCommand[] = [];
  return {
    definition: def,
    dirs: {
      runDir,
      pluginCacheDir: path.join(runDir, 'cache'),
      erroredStateDir: path.join(runDir, 'errored'),
    },
    engine: { bin: '/usr/bin/tofu', name: 'tofu', version: '1.8.3' },
    workDir: path.join(runDir, 'work'),
    env: { PATH: '/usr/bin' },
    stateInTide: true,
    signal: new AbortController().signal,
    results: { planSummary: null, outputs: null, drifted: null, changedAddresses: null },
    commands,
    exec: async (command) => {
      commands.push(command);
      return { exitCode: 0, stdout: '' };
    },
    system: () => {},
    addSecrets: () => {},
    mask: (text) => text,
  };
}

async function runSteps(ctx: StepContext): Promise<void> {
  for (const step of jobSteps()) await step.run(ctx);
}

describe('job steps', () => {
  it('runs a script with its own #! interpreter: the file itself, private to Tide', async () => {
    const ctx = stepContext(
      definition(jobDefinition({ name: 'py', type: 'script', script: '#!/usr/bin/python3\n' })),
    );
    await runSteps(ctx);
    const file = path.join(ctx.dirs.runDir, JOB_SCRIPT_FILE);
    expect(ctx.commands).toEqual([{ command: file, args: [], cwd: ctx.workDir }]);
    expect(readFileSync(file, 'utf8')).toBe('#!/usr/bin/python3\n');
    expect(statSync(file).mode & 0o777).toBe(0o700);
  });

  it('runs a script job without a script as an empty bash script', async () => {
    const ctx = stepContext(definition(jobDefinition({ name: 'blank', type: 'script' })));
    await runSteps(ctx);
    expect(ctx.commands).toEqual([
      { command: '/bin/bash', args: [path.join(ctx.dirs.runDir, JOB_SCRIPT_FILE)], cwd: ctx.workDir },
    ]);
  });

  it('refuses a command job with nothing to run', async () => {
    for (const command of [undefined, []]) {
      const ctx = stepContext(definition(jobDefinition({ name: 'empty', command })));
      await expect(runSteps(ctx)).rejects.toMatchObject({
        code: 'invalid_argument',
        message: 'job empty has no command',
      });
      expect(ctx.commands).toEqual([]);
    }
  });

  it('runs in a working_dir relative to the scratch directory, created for it', async () => {
    const ctx = stepContext(definition(jobDefinition({ name: 'nested', command: 'ls', workingDir: 'a/b' })));
    await runSteps(ctx);
    const cwd = path.join(ctx.workDir, 'a', 'b');
    expect(ctx.commands).toEqual([{ command: '/bin/sh', args: ['-c', 'ls'], cwd }]);
    expect(statSync(cwd).isDirectory()).toBe(true);
  });

  it('runs in an absolute working_dir as it is', async () => {
    const ctx = stepContext(
      definition(jobDefinition({ name: 'abs', command: ['pwd'], workingDir: '/srv/data' })),
    );
    await runSteps(ctx);
    expect(ctx.commands).toEqual([{ command: 'pwd', args: [], cwd: '/srv/data' }]);
  });

  it('adds the job environment to the run environment in the prepare step', async () => {
    const ctx = stepContext(
      definition(jobDefinition({ name: 'report', command: 'true', environment: { GREETING: 'hi' } })),
    );
    await jobSteps()[0]!.run(ctx);
    expect(ctx.env).toMatchObject({
      PATH: '/usr/bin',
      GREETING: 'hi',
      TIDE_JOB: 'report',
      TIDE_WORKSPACE: '',
    });
    expect(statSync(ctx.workDir).isDirectory()).toBe(true);
  });

  it('refuses a run that has no job definition', async () => {
    await expect(runSteps(stepContext(definition(undefined)))).rejects.toMatchObject({
      code: 'invalid_argument',
      message: 'run run-7 has no job definition',
    });
  });
});

describe("a job in a workspace's context", () => {
  /** A workspace folder over a template: main.tf overrides the template's, setup.sh is the workspace's. */
  function deployedFiles() {
    const root = mkdtempSync(path.join(tmpdir(), 'tide-job-deployment-'));
    dirs.push(root);
    const template = path.join(root, 'templates', 'base');
    const workspace = path.join(root, 'workspaces', 'app');
    mkdirSync(path.join(template, 'modules'), { recursive: true });
    mkdirSync(workspace, { recursive: true });
    writeFileSync(path.join(template, 'main.tf'), '# template\n');
    writeFileSync(path.join(template, 'modules', 'net.tf'), '# module\n');
    writeFileSync(path.join(workspace, 'main.tf'), '# workspace\n');
    writeFileSync(path.join(workspace, 'setup.sh'), 'echo setup\n');
    return {
      workspace: workspaceDefinition({ name: 'app', directory: workspace, files: ['main.tf', 'setup.sh'] }),
      contextTemplate: {
        name: 'base',
        directory: template,
        files: ['main.tf', 'modules/net.tf'],
        contentHash: 'x',
      },
    };
  }

  it('runs in a copy of the deployed files (template, then workspace over it), named WORKSPACE_DEPLOYMENT_DIR', async () => {
    const ctx = stepContext(
      definition(
        jobDefinition({ name: 'setup', scope: 'app', workspace: 'app', command: './setup.sh' }),
        deployedFiles(),
      ),
    );
    await runSteps(ctx);
    const deployment = path.join(ctx.dirs.runDir, DEPLOYMENT_DIR);
    expect(ctx.env.WORKSPACE_DEPLOYMENT_DIR).toBe(deployment);
    expect(ctx.commands).toEqual([{ command: '/bin/sh', args: ['-c', './setup.sh'], cwd: deployment }]);
    expect(readFileSync(path.join(deployment, 'main.tf'), 'utf8')).toBe('# workspace\n');
    expect(readFileSync(path.join(deployment, 'modules', 'net.tf'), 'utf8')).toBe('# module\n');
    expect(readFileSync(path.join(deployment, 'setup.sh'), 'utf8')).toBe('echo setup\n');
  });

  it('takes a relative working_dir from the deployment copy, creating it', async () => {
    const job = jobDefinition({
      name: 'sub',
      scope: 'app',
      workspace: 'app',
      command: 'true',
      workingDir: 'out/logs',
    });
    const ctx = stepContext(definition(job, deployedFiles()));
    await runSteps(ctx);
    const cwd = path.join(ctx.dirs.runDir, DEPLOYMENT_DIR, 'out', 'logs');
    expect(ctx.commands[0]?.cwd).toBe(cwd);
    expect(statSync(cwd).isDirectory()).toBe(true);
  });

  it('gives a standalone job without a workspace its scratch directory and no WORKSPACE_DEPLOYMENT_DIR', async () => {
    const ctx = stepContext(definition(jobDefinition({ name: 'lone', command: 'true' })));
    await runSteps(ctx);
    expect(ctx.env.WORKSPACE_DEPLOYMENT_DIR).toBeUndefined();
    expect(ctx.commands[0]?.cwd).toBe(ctx.workDir);
  });
});

describe('jobEnvironment', () => {
  it("passes the context workspace's outputs, strings as they are and the rest as JSON", () => {
    const env = jobEnvironment(
      definition(jobDefinition({ name: 'report', scope: 'app', workspace: 'app' }), {
        workspace: workspaceDefinition({ name: 'app' }),
        contextOutputs: { url: 'https://app.example', 'db-port': 5432, tags: ['a', 'b'] },
      }),
    );
    expect(env).toEqual({
      TIDE_WORKSPACE: 'app',
      WORKSPACE_ID: 'app',
      TIDE_JOB: 'report',
      JOB_NAME: 'report',
      TIDE_RUN_ID: 'run-7',
      TIDE_OUTPUT_URL: 'https://app.example',
      TIDE_OUTPUT_DB_PORT: '5432',
      TIDE_OUTPUT_TAGS: '["a","b"]',
    });
  });

  it('names an output variable in upper case with anything but letters, digits and _ as _', () => {
    expect(outputVariable('api.url-v2')).toBe('TIDE_OUTPUT_API_URL_V2');
  });
});
