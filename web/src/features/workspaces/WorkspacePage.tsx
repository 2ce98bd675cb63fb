/**
 * One workspace: status and badges, its week, the live log of its current run, its runs, last plan and
 * outputs, variables, jobs, state versions and savings; its overrides and drift; deploy/destroy/plan and
 * overrides for operators.
 */
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import type { Workspace } from '../../api/types';
import { ErrorView, Loading } from '../../components/Feedback';
import { RunStateBadge, WorkspaceStatusBadge } from '../../components/Status';
import { Relative, Time } from '../../components/Time';
import { canOperate } from '../../lib/permissions';
import { useMe } from '../auth/session';
import { Outputs, PlanSummary } from '../runs/RunDetails';
import { RunLog } from '../runs/RunLog';
import { listRuns } from '../runs/api/list-runs';
import { RunsTable } from '../runs/RunsTable';
import { getSavings } from './api/get-savings';
import { getStateVersions } from './api/get-state-versions';
import { listJobs } from '../jobs/api/list-jobs';
import { DriftPanel } from './DriftPanel';
import { OverridesPanel } from './OverridesPanel';
import { VariablesSection } from './SensitiveVariables';
import { useWeek } from './use-week';
import { useWorkspace } from './use-workspaces';
import { WeekTimeline } from './WeekTimeline';
import { WorkspaceActions } from './WorkspaceActions';
import { WorkspaceBadges } from './WorkspaceBadges';

const zoneOf = (workspace: Workspace) =>
  workspace.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;

function Week({ workspace }: { workspace: Workspace }) {
  const { now, week, schedule, firings, runs } = useWeek(workspace.name, zoneOf(workspace));
  return (
    <>
      {schedule.isError && <ErrorView error={schedule.error} what="the schedule" />}
      <WeekTimeline
        workspace={workspace}
        week={week}
        now={now}
        schedule={schedule.data}
        firings={firings.data?.items ?? []}
        runs={runs}
      />
    </>
  );
}

function Jobs({ workspace }: { workspace: string }) {
  const jobs = useQuery({ queryKey: ['jobs'], queryFn: listJobs, staleTime: 60_000 });
  if (jobs.isPending) return <Loading what="jobs" />;
  if (jobs.isError) return <ErrorView error={jobs.error} what="the jobs" />;
  const mine = jobs.data.items.filter((job) => job.workspace === workspace);
  if (mine.length === 0) return <p className="muted">No jobs.</p>;
  return (
    <ul className="plain">
      {mine.map((job) => (
        <li key={job.id}>
          <strong>{job.name}</strong> <span className="muted">{job.type}</span> {job.schedules.join(', ')}{' '}
          {job.events.join(', ')} {job.last_run && <RunStateBadge state={job.last_run.state} />}
        </li>
      ))}
    </ul>
  );
}

function StateVersions({ workspace, zone }: { workspace: string; zone: string }) {
  const state = useQuery({ queryKey: ['state', workspace], queryFn: () => getStateVersions(workspace) });
  if (state.isPending) return <Loading what="state versions" />;
  if (state.isError) return <ErrorView error={state.error} what="the state versions" />;
  if (state.data.total === 0) return <p className="muted">No state yet.</p>;
  return (
    <ul className="plain">
      {state.data.versions.map((version) => (
        <li key={version.serial}>
          serial {version.serial} — {version.deleted ? 'deleted' : `${version.size} bytes`} by{' '}
          {version.written_by}, <Time iso={version.created_at} zone={zone} />
        </li>
      ))}
    </ul>
  );
}

function SavingsLine({ workspace }: { workspace: string }) {
  const savings = useQuery({ queryKey: ['savings', workspace], queryFn: () => getSavings(workspace) });
  if (savings.isPending) return <Loading what="savings" />;
  if (savings.isError) return <ErrorView error={savings.error} what="the savings" />;
  const entry = savings.data.workspaces.find((w) => w.workspace === workspace);
  if (!entry) return <p className="muted">No hourly cost configured: savings are not computed.</p>;
  return (
    <p>
      This month: down {entry.down_hours.toFixed(1)} h, saved <strong>{entry.saved.toFixed(2)}</strong> (at{' '}
      {entry.hourly_cost}/h)
    </p>
  );
}

export function WorkspacePage() {
  const { name } = useParams({ from: '/workspaces/$name' });
  const me = useMe();
  const workspace = useWorkspace(name);
  if (workspace.isPending) return <Loading what={name} />;
  if (workspace.isError) return <ErrorView error={workspace.error} what={name} />;
  const w = workspace.data;
  const zone = zoneOf(w);
  const operator = canOperate(me.data?.role);
  return (
    <article aria-labelledby="ws-title">
      <div className="page-head">
        <h1 id="ws-title">{w.name}</h1>
        <WorkspaceStatusBadge status={w.status} />
        <WorkspaceBadges workspace={w} />
        {w.mode && <span className="muted">mode {w.mode}</span>}
      </div>
      {w.description && <p>{w.description}</p>}
      {w.config_error && (
        <div className="error" role="alert">
          Configuration error: {w.config_error}
        </div>
      )}
      <p className="muted">
        Zone {zone} · next:{' '}
        {w.next_firings.slice(0, 2).map((firing) => (
          <span key={`${firing.schedule_key}${firing.scheduled_at}`}>
            {firing.action} <Relative iso={firing.scheduled_at} /> ·{' '}
          </span>
        ))}
        <Link to="/runs" search={{ workspace: w.name }}>
          all runs
        </Link>
      </p>
      {w.ttl && (
        <p className="ttl-line">
          TTL: destroyed at <Time iso={w.ttl.destroy_at} zone={zone} /> (<Relative iso={w.ttl.destroy_at} />)
          {w.ttl.extended_until && (
            <span className="muted">
              {' '}
              · extended; the deploy's TTL ended at <Time iso={w.ttl.ends_at} zone={zone} />
            </span>
          )}
        </p>
      )}
      {operator && <WorkspaceActions workspace={w} />}
      <OverridesPanel workspace={w} zone={zone} canWrite={operator} />
      <h2>This week</h2>
      <Week workspace={w} />
      <h2>Drift</h2>
      <DriftPanel drift={w.drift} zone={zone} />
      {w.current_run && (
        <>
          <h2>
            Current run: {w.current_run.action} <RunStateBadge state={w.current_run.state} />{' '}
            <Link to="/runs/$id" params={{ id: w.current_run.id }}>
              open
            </Link>
          </h2>
          <RunLog runId={w.current_run.id} />
        </>
      )}
      {w.last_run && (
        <>
          <h2>Last run</h2>
          <p>
            {w.last_run.action} <RunStateBadge state={w.last_run.state} />{' '}
            <Relative iso={w.last_run.finished_at} />{' '}
            <Link to="/runs/$id" params={{ id: w.last_run.id }}>
              log
            </Link>
          </p>
          <PlanSummary run={w.last_run} />
          <h3>Outputs</h3>
          <Outputs run={w.last_run} />
        </>
      )}
      <h2>Runs</h2>
      <WorkspaceRuns name={w.name} zone={zone} />
      <div className="columns">
        <section>
          <h2>Variables</h2>
          <VariablesSection workspace={w.name} canWrite={operator} />
        </section>
        <section>
          <h2>Jobs</h2>
          <Jobs workspace={w.name} />
          <h2>Savings</h2>
          <SavingsLine workspace={w.name} />
          <h2>State versions</h2>
          <StateVersions workspace={w.name} zone={zone} />
        </section>
      </div>
    </article>
  );
}

/** The same query as the week's (same key): the page asks once. */
function WorkspaceRuns({ name, zone }: { name: string; zone: string }) {
  const runs = useQuery({
    queryKey: ['runs', { workspace: name }],
    queryFn: () => listRuns({ workspace: name }),
  });
  if (runs.isPending) return <Loading what="runs" />;
  if (runs.isError) return <ErrorView error={runs.error} what="the runs" />;
  return <RunsTable runs={runs.data.items.slice(0, 20)} zone={zone} showWorkspace={false} />;
}
