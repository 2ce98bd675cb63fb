/**
 * `tide job list|show|run|logs`: a thin client of /api/v1/jobs (docs/jobs.md). A job's id is
 * `<workspace>.<job>` for a workspace's job and `<job>` for a standalone one.
 */
import type { Command } from 'commander';
import { TideError } from '../../errors/tide-error.ts';
import type { JobView } from '../../job/job.service.ts';
import type { RunView } from '../../run/run-view.ts';
import { systemClock } from '../../time/clock.ts';
import { clientFor } from '../api-client.ts';
import { formatFields, formatTable, formatWhen } from '../format.ts';
import { printJson, type CliContext } from '../output.ts';
import { Progress } from '../progress.ts';
import { printRunLog, waitForRun } from '../run-follow.ts';
import { clientCommand, type ClientOptions } from './client-command.ts';

function jobPath(id: string, suffix = ''): string {
  return `/api/v1/jobs/${encodeURIComponent(id)}${suffix}`;
}

function triggers(job: JobView): string {
  const all = [...job.schedules, ...job.events];
  return all.length > 0 ? all.join(', ') : 'manual only';
}

export function jobTable(jobs: readonly JobView[], now: Date): string {
  if (jobs.length === 0) return 'No jobs.';
  return formatTable(
    ['ID', 'TYPE', 'ENABLED', 'TRIGGERS', 'DEPENDS ON', 'LAST RUN'],
    jobs.map((job) => [
      job.id,
      job.type,
      job.enabled ? 'yes' : 'no',
      triggers(job),
      job.depends_on.length > 0 ? job.depends_on.join(', ') : '-',
      job.last_run
        ? `${job.last_run.state} ${formatWhen(job.last_run.finished_at ?? job.last_run.created_at, now)}`
        : '-',
    ]),
  );
}

export function jobDetails(job: JobView, now: Date): string {
  return formatFields([
    ['Job', job.id],
    ['Workspace', job.workspace ?? (job.standalone ? '(standalone)' : null)],
    ['Type', job.type],
    ['Description', job.description || null],
    ['Enabled', job.enabled ? 'yes' : 'no'],
    ['Triggers', triggers(job)],
    ['Depends on', job.depends_on.length > 0 ? job.depends_on.join(', ') : null],
    ['Template', job.template],
    ['Working dir', job.working_dir],
    ['Timeout', `${job.timeout_seconds}s`],
    ['Retries', String(job.retries)],
    ['File', job.file],
    [
      'Last run',
      job.last_run
        ? `${job.last_run.id} ${job.last_run.state} ${formatWhen(job.last_run.created_at, now)}${
            job.last_run.reason ? ` (${job.last_run.reason})` : ''
          }`
        : '-',
    ],
  ]);
}

export function registerJob(program: Command, ctx: CliContext): void {
  const job = program
    .command('job')
    .description('Jobs on a running Tide server: <workspace>.<job>, or <job> for a standalone job');

  clientCommand(job, 'list', 'List jobs with their triggers, dependencies and last run')
    .option('--json', 'print JSON')
    .action(async (options: ClientOptions) => {
      const { items } = await clientFor(options, ctx.env).get<{ items: JobView[] }>('/api/v1/jobs');
      if (options.json) printJson(ctx.output, items);
      else ctx.output.out(jobTable(items, systemClock.now()));
    });

  clientCommand(job, 'show', 'Show one job')
    .argument('<id>', 'job id: <workspace>.<job>, or <job> for a standalone job')
    .option('--json', 'print JSON')
    .action(async (id: string, options: ClientOptions) => {
      const view = await clientFor(options, ctx.env).get<JobView>(jobPath(id));
      if (options.json) printJson(ctx.output, view);
      else ctx.output.out(jobDetails(view, systemClock.now()));
    });

  clientCommand(job, 'run', 'Run a job now (with the jobs that depend on it)')
    .argument('<id>', 'job id: <workspace>.<job>, or <job> for a standalone job')
    .option('--wait', 'stream the run’s log and exit with its result (0 succeeded, 1 otherwise)')
    .option('--json', 'print the run as JSON (with --wait: the finished run, without the log)')
    .action(async (id: string, options: ClientOptions & { wait?: boolean }) => {
      const client = clientFor(options, ctx.env);
      const run = await client.post<RunView>(jobPath(id, '/run'), {});
      if (!options.json) ctx.output.out(`Queued job ${id}: run ${run.id}`);
      if (options.wait)
        await waitForRun(client, ctx, run, {
          json: options.json ?? false,
          progress: new Progress(ctx.progress),
        });
      else if (options.json) printJson(ctx.output, run);
    });

  clientCommand(job, 'logs', 'Print the log of the job’s latest run')
    .argument('<id>', 'job id: <workspace>.<job>, or <job> for a standalone job')
    .option('-f, --follow', 'keep printing until the run ends')
    .option('--json', 'one JSON object per log chunk (ndjson)')
    .action(async (id: string, options: ClientOptions & { follow?: boolean }) => {
      const client = clientFor(options, ctx.env);
      const view = await client.get<JobView>(jobPath(id));
      if (!view.last_run) throw new TideError('not_found', `job "${id}" has no runs yet`);
      await printRunLog(client, view.last_run.id, ctx.output, {
        follow: options.follow ?? false,
        json: options.json,
      });
    });
}
