/**
 * `tide workspace list|show|deploy|destroy|plan|enable|disable|logs`: a thin client of
 * /api/v1/workspaces. Nothing here reads the config or the database; the server decides.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { TideError } from '../../errors/tide-error.ts';
import type { RunView } from '../../run/run-view.ts';
import { systemClock } from '../../time/clock.ts';
import type { WorkspaceView } from '../../workspace-service/workspace-view.ts';
import { clientFor } from '../api-client.ts';
import { printJson, type CliContext, type CliInput } from '../output.ts';
import { Progress } from '../progress.ts';
import { printRunLog, waitForRun } from '../run-follow.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';
import { workspaceDetails, workspaceTable } from './render.ts';

interface RunRequestOptions extends ClientOptions {
  mode?: string;
  wait?: boolean;
  yes?: boolean;
  withDependencies?: boolean;
  withDependents?: boolean;
  ttl?: string;
}

/** A queued run as the deploy and destroy routes answer: with the runs of its dependency chain. */
interface QueuedRunView extends RunView {
  dependency_runs?: RunView[];
  dependency_chain?: string | null;
}

function workspacePath(name: string, suffix = ''): string {
  return `/api/v1/workspaces/${encodeURIComponent(name)}${suffix}`;
}

export function registerWorkspace(program: Command, ctx: CliContext): void {
  const workspace = program
    .command('workspace')
    .description('Workspaces on a running Tide server (talks to the API at TIDE_URL)');

  clientCommand(workspace, 'list', 'List workspaces with their status, next firing and runs')
    .option('--status <status>', 'only this observed status (deployed, destroyed, deploy_failed, …)')
    .option('--drifted', 'only workspaces whose last drift check found drift')
    .option('--json', 'print JSON')
    .action(async (options: ClientOptions & { status?: string; drifted?: boolean }) => {
      const items = await clientFor(options, ctx.env).getAll<WorkspaceView>('/api/v1/workspaces', {
        status: options.status,
        ...(options.drifted ? { drifted: 'true' } : {}),
      });
      if (options.json) printJson(ctx.output, items);
      else ctx.output.out(workspaceTable(items, systemClock.now()));
    });

  clientCommand(workspace, 'show', 'Show one workspace: status, runs, next firings')
    .argument('<name>', 'workspace name')
    .option('--json', 'print JSON')
    .action(async (name: string, options: ClientOptions) => {
      const view = await clientFor(options, ctx.env).get<WorkspaceView>(workspacePath(name));
      if (options.json) printJson(ctx.output, view);
      else ctx.output.out(workspaceDetails(view, systemClock.now()));
    });

  runRequestCommand(workspace, ctx, 'deploy', 'Queue a deploy (init, plan, apply)')
    .option('--mode <mode>', 'deploy in this mode (one the workspace defines)')
    .option(
      '--with-dependencies',
      'also redeploy the dependencies already deployed (those not deployed are always brought up first)',
    )
    .option(
      '--ttl <duration>',
      'destroy this long after the deploy succeeds (e.g. 4h), unless the schedules want it up then (docs/ttl.md)',
    )
    .option('--yes', 'accepted for symmetry with destroy; a deploy never asks');
  runRequestCommand(workspace, ctx, 'destroy', 'Queue a destroy (asks for confirmation unless --yes)')
    .option('--with-dependents', 'destroy the workspaces that depend on it first (refused without it)')
    .option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)');
  runRequestCommand(workspace, ctx, 'plan', 'Queue a plan (drift check; changes nothing)');

  for (const [action, description] of [
    ['enable', 'Let the scheduler act on the workspace again (overrides the config)'],
    ['disable', 'Stop the scheduler acting on the workspace (overrides the config)'],
  ] as const) {
    clientCommand(workspace, action, description)
      .argument('<name>', 'workspace name')
      .option('--json', 'print the workspace as JSON')
      .action(async (name: string, options: ClientOptions) => {
        const view = await clientFor(options, ctx.env).post<WorkspaceView>(workspacePath(name, `/${action}`));
        if (options.json) printJson(ctx.output, view);
        else ctx.output.out(`${view.name} is ${view.enabled ? 'enabled' : 'disabled'}`);
      });
  }

  clientCommand(workspace, 'logs', 'Print the log of the workspace’s latest run')
    .argument('<name>', 'workspace name')
    .option('-f, --follow', 'keep printing until the run ends')
    .option('--json', 'one JSON object per log chunk (ndjson)')
    .action(async (name: string, options: ClientOptions & { follow?: boolean }) => {
      const client = clientFor(options, ctx.env);
      // Asked first so an unknown workspace is "does not exist", not "has no runs".
      await client.get<WorkspaceView>(workspacePath(name));
      const { items } = await client.get<{ items: RunView[] }>('/api/v1/runs', { workspace: name, limit: 1 });
      const latest = items[0];
      if (!latest) throw new TideError('not_found', `workspace "${name}" has no runs yet`);
      await printRunLog(client, latest.id, ctx.output, {
        follow: options.follow ?? false,
        json: options.json,
      });
    });
}

function runRequestCommand(
  workspace: Command,
  ctx: CliContext,
  action: 'deploy' | 'destroy' | 'plan',
  description: string,
): Command {
  return clientCommand(workspace, action, description)
    .argument('<name>', 'workspace name')
    .option('--wait', 'stream the run’s log and exit with its result (0 succeeded, 1 otherwise)')
    .option('--json', 'print the run as JSON (with --wait: the finished run, without the log)')
    .action(async (name: string, options: RunRequestOptions) => {
      const withDependents = options.withDependents ?? false;
      if (action === 'destroy' && !options.yes && !(await confirmDestroy(name, ctx.stdin, withDependents))) {
        ctx.output.err(`tide: destroy of ${name} canceled`);
        ctx.exitCode = 1;
        return;
      }
      const client = clientFor(options, ctx.env);
      const run = await client.post<QueuedRunView>(
        workspacePath(name, `/${action}`),
        requestBody(action, options),
      );
      if (!options.json) {
        for (const dependency of run.dependency_runs ?? [])
          ctx.output.out(
            `Queued ${describe(dependency)} of ${dependency.workspace} first: run ${dependency.id}`,
          );
        ctx.output.out(`Queued ${describe(run)} of ${name}: run ${run.id}`);
        if (run.dependency_chain && (run.dependency_runs ?? []).length > 0)
          ctx.output.out(`Order: ${run.dependency_chain}`);
      }
      if (options.wait)
        await waitForRun(client, ctx, run, {
          json: options.json ?? false,
          progress: new Progress(ctx.progress),
        });
      else if (options.json) printJson(ctx.output, run);
    });
}

function requestBody(action: 'deploy' | 'destroy' | 'plan', options: RunRequestOptions): object {
  if (action === 'plan') return {};
  if (action === 'destroy') return options.withDependents ? { with_dependents: true } : {};
  return {
    ...(options.mode === undefined ? {} : { mode: options.mode }),
    ...(options.withDependencies ? { with_dependencies: true } : {}),
    ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
  };
}

/** Asks on the terminal; without one there is nobody to ask, so the answer is a refusal naming --yes. */
async function confirmDestroy(name: string, input: CliInput, withDependents: boolean): Promise<boolean> {
  if (!input.isTTY) {
    throw new TideError(
      'invalid_argument',
      `refusing to destroy ${name} without confirmation: stdin is not a terminal; use --yes`,
    );
  }
  const prompt = createInterface({ input, output: process.stderr });
  try {
    const answer = await prompt.question(
      `Destroy workspace ${name}${withDependents ? ' and every workspace that depends on it' : ''}? Everything ${withDependents ? 'they' : 'it'} deployed will be torn down.\nType "yes" to confirm: `,
    );
    return answer.trim() === 'yes';
  } finally {
    prompt.close();
  }
}

function describe(run: RunView): string {
  return run.mode ? `${run.action} (mode ${run.mode})` : run.action;
}
