/**
 * Every job the caller may see (docs/jobs.md): triggers, last run, **Run now** for operators (which
 * queues the job and the jobs chained after it, then opens its log), and the latest job runs.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import type { Job } from '../../api/types';
import type { Column } from '../../components/DataTable';
import { ErrorView } from '../../components/Feedback';
import { QueryTable } from '../../components/QueryTable';
import { QueryView } from '../../components/QueryView';
import { RunStateBadge } from '../../components/Status';
import { Relative } from '../../components/Time';
import { canOperate } from '../../lib/permissions';
import { useMe } from '../auth/session';
import { listRuns } from '../runs/api/list-runs';
import { RunsTable } from '../runs/RunsTable';
import { listJobs } from './api/list-jobs';
import { runJob } from './api/run-job';

export function JobsPage() {
  const me = useMe();
  const navigate = useNavigate();
  const jobs = useQuery({ queryKey: ['jobs'], queryFn: listJobs, staleTime: 60_000 });
  const runs = useQuery({ queryKey: ['runs', {}], queryFn: () => listRuns({}) });
  const run = useMutation({
    mutationFn: runJob,
    onSuccess: (queued) => navigate({ to: '/runs/$id', params: { id: queued.id } }),
  });
  const operator = canOperate(me.data?.role);
  const columns: Array<Column<Job> | false> = [
    {
      header: 'Job',
      cell: (job) => (
        <>
          <strong>{job.id}</strong>
          {!job.enabled && <span className="muted"> (disabled)</span>}
          {job.description && <div className="muted">{job.description}</div>}
        </>
      ),
    },
    { header: 'Type', cell: (job) => job.type },
    { header: 'Triggers', cell: (job) => [...job.schedules, ...job.events].join(', ') || 'manual only' },
    {
      header: 'Last run',
      cell: (job) =>
        job.last_run ? (
          <>
            <RunStateBadge state={job.last_run.state} />{' '}
            <Link to="/runs/$id" params={{ id: job.last_run.id }}>
              <Relative iso={job.last_run.finished_at ?? job.last_run.created_at} />
            </Link>
          </>
        ) : (
          '—'
        ),
    },
    operator && {
      header: 'Run',
      cell: (job) => (
        <button
          type="button"
          disabled={run.isPending}
          aria-label={`Run now: ${job.id}`}
          onClick={() => run.mutate(job.id)}
        >
          Run now
        </button>
      ),
    },
  ];
  const jobRuns = (runs.data?.items ?? []).filter((r) => r.job !== null).slice(0, 20);
  return (
    <section aria-labelledby="jobs-title">
      <div className="page-head">
        <h1 id="jobs-title">Jobs</h1>
      </div>
      {run.isError && <ErrorView error={run.error} />}
      <QueryTable
        query={jobs}
        what="jobs"
        columns={columns}
        rowKey="id"
        empty="No jobs in the configuration."
      />
      <h2>Latest job runs</h2>
      <QueryView query={runs} what="runs">
        {() => <RunsTable runs={jobRuns} />}
      </QueryView>
    </section>
  );
}
