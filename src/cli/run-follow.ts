/** Printing a run's log and waiting for its end, shared by `tide run logs` and `--wait`. */
import type { RunView } from '../run/run-view.ts';
import type { ApiClient } from './api-client.ts';
import { printJson, type CliContext, type Output } from './output.ts';
import { Progress } from './progress.ts';

export function runPath(id: string, suffix = ''): string {
  return `/api/v1/runs/${encodeURIComponent(id)}${suffix}`;
}

/**
 * Copies the run's log to the output line by line (the stored part, and with `follow` the rest as it is
 * written, until the run ends); with `json`, one JSON object per stored chunk instead of its lines. `beforeLine` runs before each line is printed (the spinner clears itself).
 */
export async function printRunLog(
  client: ApiClient,
  runId: string,
  output: Output | null,
  options: { follow: boolean; json?: boolean; beforeLine?: () => void },
): Promise<void> {
  let pending = '';
  const query = { format: options.json ? 'ndjson' : 'text', follow: options.follow || undefined };
  await client.stream(runPath(runId, '/logs'), query, (text) => {
    const lines = (pending + text).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      options.beforeLine?.();
      output?.out(line);
    }
  });
  if (pending !== '') output?.out(pending);
}

/**
 * `--wait`: streams the run's log (unless `json`, where stdout must stay one JSON document), then exits
 * 0 if the run succeeded and 1 with a one-line reason otherwise.
 */
export async function waitForRun(
  client: ApiClient,
  ctx: CliContext,
  run: RunView,
  options: { json: boolean; progress?: Progress },
): Promise<void> {
  const progress = options.progress ?? new Progress();
  progress.start(`waiting for ${run.action} of ${run.workspace} (run ${run.id})`);
  try {
    await printRunLog(client, run.id, options.json ? null : ctx.output, {
      follow: true,
      beforeLine: () => progress.clear(),
    });
  } finally {
    progress.stop();
  }
  const final = await client.get<RunView>(runPath(run.id));
  if (options.json) printJson(ctx.output, final);
  if (final.state === 'succeeded') return;
  ctx.exitCode = 1;
  const why =
    final.state === 'queued' || final.state === 'running' ? 'the log stream ended early' : final.reason;
  ctx.output.err(`tide: run ${final.id} ${final.state}${why ? `: ${why}` : ''}`);
}
