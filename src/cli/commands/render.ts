/** Text views of workspaces and runs for the `workspace` and `run` commands (`--json` skips these). */
import type { RunView } from '../../run/run-view.ts';
import type { WorkspaceView } from '../../workspace-service/workspace-view.ts';
import { formatDuration, formatFields, formatTable, formatWhen } from '../format.ts';

export function workspaceTable(workspaces: readonly WorkspaceView[], now: Date): string {
  if (workspaces.length === 0) return 'No workspaces.';
  const rows = workspaces.map((ws) => {
    const next = ws.next_firings[0];
    return [
      ws.name,
      ws.enabled ? 'yes' : 'no',
      ws.status,
      ws.mode ?? '-',
      ws.drifted ? 'drifted' : '-',
      next
        ? `${next.action}${next.mode ? ` (${next.mode})` : ''} ${formatWhen(next.scheduled_at, now)}`
        : '-',
      ws.current_run ? `${ws.current_run.action} ${ws.current_run.state}` : '-',
      ws.last_run
        ? `${ws.last_run.action} ${ws.last_run.state} ${formatWhen(runTime(ws.last_run), now)}`
        : '-',
      notes(ws),
    ];
  });
  return formatTable(
    ['NAME', 'ENABLED', 'STATUS', 'MODE', 'DRIFT', 'NEXT', 'CURRENT RUN', 'LAST RUN', 'NOTES'],
    rows,
  );
}

export function workspaceDetails(ws: WorkspaceView, now: Date): string {
  const labels = Object.entries(ws.labels).map(([key, value]) => `${key}=${value}`);
  const fields = formatFields([
    ['Name', ws.name],
    ['Description', ws.description || null],
    ['Enabled', ws.enabled ? 'yes' : 'no'],
    ['Status', `${ws.status}${ws.mode ? ` (mode ${ws.mode})` : ''}${ws.drifted ? ', drifted' : ''}`],
    ['Time zone', ws.timezone],
    ['Template', ws.template],
    ['Labels', labels.length > 0 ? labels.join(', ') : null],
    ['Modes', ws.modes.length > 0 ? ws.modes.join(', ') : null],
    ['Protected', ws.protect ? 'yes (destroy refused)' : null],
    ['TTL', ttlText(ws, now)],
    ['Drift', driftText(ws, now)],
    [
      'Drifted resources',
      ws.drifted && ws.drift ? ws.drift.addresses.join(', ') || '(no resource addresses)' : null,
    ],
    ['Current run', ws.current_run ? runSummary(ws.current_run, now) : '-'],
    ['Last run', ws.last_run ? runSummary(ws.last_run, now) : '-'],
    ['Config error', ws.config_error],
  ]);
  const firings =
    ws.next_firings.length === 0
      ? '  (none)'
      : indent(
          formatTable(
            ['WHEN', 'ACTION', 'MODE', 'SCHEDULE'],
            ws.next_firings.map((f) => [
              formatWhen(f.scheduled_at, now),
              f.action === 'job' && f.job ? `job ${f.job}` : f.action,
              f.mode ?? '-',
              f.schedule_key,
            ]),
          ),
        );
  return `${fields}\n\nNext firings\n${firings}`;
}

export function runTable(runs: readonly RunView[], now: Date): string {
  if (runs.length === 0) return 'No runs.';
  return formatTable(
    ['ID', 'WORKSPACE', 'ACTION', 'STATE', 'TRIGGER', 'CREATED', 'DURATION'],
    runs.map((run) => [
      run.id,
      run.job ? `${run.workspace}/${run.job}` : run.workspace,
      run.mode ? `${run.action} (${run.mode})` : run.action,
      run.state,
      run.trigger,
      formatWhen(run.created_at, now),
      formatDuration(run.started_at, run.finished_at, now),
    ]),
  );
}

export function runDetails(run: RunView, now: Date): string {
  const plan = run.plan_summary;
  const outputs = run.outputs === null ? [] : Object.keys(run.outputs);
  return formatFields([
    ['Run', run.id],
    ['Workspace', run.workspace],
    ['Job', run.job],
    ['Action', run.mode ? `${run.action} (mode ${run.mode})` : run.action],
    ['State', run.cancel_requested_at && !run.finished_at ? `${run.state} (cancel requested)` : run.state],
    ['Trigger', run.actor ? `${run.trigger} by ${run.actor}` : run.trigger],
    ['Attempt', run.retry_of ? `${run.attempt} (retry of ${run.retry_of})` : String(run.attempt)],
    ['Created', formatWhen(run.created_at, now)],
    ['Started', run.started_at ? formatWhen(run.started_at, now) : null],
    ['Finished', run.finished_at ? formatWhen(run.finished_at, now) : null],
    ['Duration', run.started_at ? formatDuration(run.started_at, run.finished_at, now) : null],
    ['Exit code', run.exit_code === null ? null : String(run.exit_code)],
    ['Reason', run.reason],
    ['Plan', plan ? `${plan.add} to add, ${plan.change} to change, ${plan.destroy} to destroy` : null],
    ['Outputs', outputs.length > 0 ? outputs.join(', ') : null],
  ]);
}

/** `deploy succeeded Mon 08:03 (2h ago)` — the latest instant the run has. */
function runSummary(run: RunView, now: Date): string {
  return `${run.id} ${run.mode ? `${run.action} (${run.mode})` : run.action} ${run.state} ${formatWhen(runTime(run), now)}`;
}

function runTime(run: RunView): string {
  return run.finished_at ?? run.started_at ?? run.created_at;
}

function notes(ws: WorkspaceView): string {
  const notes = [ws.config_error ? 'config error' : '', ws.protect ? 'protected' : ''];
  return notes.filter(Boolean).join(', ');
}

/** `destroy 2027-… (in 4h)`, with the TTL's own end when a keep_up_until postpones it. */
function ttlText(ws: WorkspaceView, now: Date): string | null {
  if (!ws.ttl) return null;
  const extended = ws.ttl.extended_until ? ` (extended; TTL end ${formatWhen(ws.ttl.ends_at, now)})` : '';
  return `destroy ${formatWhen(ws.ttl.destroy_at, now)}${extended}`;
}

/** `drifted since …: 0 to add, 1 to change, 0 to destroy (checked …)`, or when the last check found none. */
function driftText(ws: WorkspaceView, now: Date): string | null {
  const drift = ws.drift;
  if (!drift) return null;
  const checked = `checked ${formatWhen(drift.checked_at, now)}`;
  if (!ws.drifted) return `none (${checked})`;
  const plan = drift.summary
    ? `: ${drift.summary.add} to add, ${drift.summary.change} to change, ${drift.summary.destroy} to destroy`
    : '';
  const since = drift.since ? ` since ${formatWhen(drift.since, now)}` : '';
  return `drifted${since}${plan} (${checked}, run ${drift.run_id ?? '-'})`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
