/** `tide run list|show|logs|cancel`: a thin client of /api/v1/runs. */
import type { Command } from 'commander';
import { TideError } from '../../errors/tide-error.ts';
import type { RunView } from '../../run/run-view.ts';
import type { ChainRunView, RunDependencies } from '../../workspace-dependency/dependency.service.ts';
import { systemClock } from '../../time/clock.ts';
import { clientFor } from '../api-client.ts';
import { printJson, type CliContext } from '../output.ts';
import { printRunLog, runPath } from '../run-follow.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';
import { runDetails, runTable } from './render.ts';

interface RunListOptions extends ClientOptions {
  workspace?: string;
  state?: string;
  trigger?: string;
  limit: string;
}

const MAX_PAGE = 500;

export function registerRun(program: Command, ctx: CliContext): void {
  const run = program
    .command('run')
    .description('Runs on a running Tide server (talks to the API at TIDE_URL)');

  clientCommand(run, 'list', 'List runs, newest first')
    .option('--workspace <name>', 'only this workspace’s runs')
    .option('--state <state>', 'only runs in this state (or a comma-separated list: queued,running)')
    .option('--trigger <trigger>', 'only runs started this way (schedule, window, manual, api, …)')
    .option('--limit <n>', 'how many runs', '50')
    .option('--json', 'print JSON')
    .action(async (options: RunListOptions) => {
      const runs = await listRuns(options, ctx.env);
      if (options.json) printJson(ctx.output, runs);
      else ctx.output.out(runTable(runs, systemClock.now()));
    });

  clientCommand(run, 'show', 'Show one run')
    .argument('<id>', 'run id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: ClientOptions) => {
      const view = await clientFor(options, ctx.env).get<RunView>(runPath(id));
      if (options.json) printJson(ctx.output, view);
      else ctx.output.out(runDetails(view, systemClock.now()));
    });

  clientCommand(run, 'logs', 'Print a run’s log')
    .argument('<id>', 'run id')
    .option('-f, --follow', 'keep printing until the run ends')
    .option('--json', 'one JSON object per log chunk (ndjson)')
    .action(async (id: string, options: ClientOptions & { follow?: boolean }) => {
      await printRunLog(clientFor(options, ctx.env), id, ctx.output, {
        follow: options.follow ?? false,
        json: options.json,
      });
    });

  clientCommand(
    run,
    'dependencies',
    'Show the runs a run waits for (its dependency chain) and those waiting for it',
  )
    .argument('<id>', 'run id')
    .option('--json', 'print JSON')
    .action(async (id: string, options: ClientOptions) => {
      const chain = await clientFor(options, ctx.env).get<RunDependencies>(`${runPath(id)}/dependencies`);
      if (options.json) printJson(ctx.output, chain);
      else ctx.output.out(dependencyLines(chain).join('\n'));
    });

  clientCommand(run, 'cancel', 'Cancel a queued run, or ask a running one to stop')
    .argument('<id>', 'run id')
    .option('--json', 'print the run as JSON')
    .action(async (id: string, options: ClientOptions) => {
      const view = await clientFor(options, ctx.env).post<RunView>(runPath(id, '/cancel'));
      if (options.json) printJson(ctx.output, view);
      else if (view.state === 'canceled') ctx.output.out(`Run ${view.id} canceled`);
      else
        ctx.output.out(`Asked run ${view.id} to stop; it is ${view.state} until the runner has stopped it`);
    });
}

/** Up to --limit runs, in pages of at most 500. */
async function listRuns(options: RunListOptions, env: CliContext['env']): Promise<RunView[]> {
  const wanted = Number(options.limit);
  if (!Number.isInteger(wanted) || wanted < 1) {
    throw new TideError(
      'invalid_argument',
      `--limit must be a positive whole number, got "${options.limit}"`,
    );
  }
  const client = clientFor(options, env);
  const runs: RunView[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: RunView[]; next_cursor: string | null } = await client.get('/api/v1/runs', {
      workspace: options.workspace,
      state: options.state,
      trigger: options.trigger,
      limit: Math.min(MAX_PAGE, wanted - runs.length),
      cursor: cursor ?? undefined,
    });
    runs.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor !== null && runs.length < wanted);
  return runs;
}

/** `Waits for:` and `Needed by:` blocks, one aligned line per run; one line when the run has no chain. */
function dependencyLines(chain: RunDependencies): string[] {
  if (chain.waits_for.length === 0 && chain.needed_by.length === 0)
    return [`Run ${chain.run_id} has no dependency chain`];
  const all = [...chain.waits_for, ...chain.needed_by];
  const width = Math.max(...all.map((r) => r.workspace.length));
  const line = (r: ChainRunView): string =>
    `  ${r.workspace.padEnd(width)}  ${r.action.padEnd(7)}  ${r.state.padEnd(9)}  run ${r.run_id}${r.reason ? `  (${r.reason})` : ''}`;
  return [
    ...(chain.waits_for.length > 0 ? ['Waits for:', ...chain.waits_for.map(line)] : []),
    ...(chain.needed_by.length > 0 ? ['Needed by:', ...chain.needed_by.map(line)] : []),
  ];
}
