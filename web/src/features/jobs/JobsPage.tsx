/**
 * Every job the caller may see (docs/jobs.md): triggers, last run, **Run now** for operators (which
 * queues the job and the jobs chained after it, then opens its log), and the latest job runs.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { ErrorView, Loading } from '../../components/Feedback';
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
  const jobRuns = (runs.data?.items ?? []).filter((r) => r.job !== null).slice(0, 20);
  return (
    <section aria-labelledby="jobs-title">
      <div className="page-head">
        <h1 id="jobs-title">Jobs</h1>
      </div>
      {jobs.isPending && <Loading what="jobs" />}
      {jobs.isError && <ErrorView error={jobs.error} what="the jobs" />}
      {run.isError && <ErrorView error={run.error} />}
      {jobs.data &&
        (jobs.data.items.length === 0 ? (
          <p className="muted">No jobs in the configuration.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Job</th>
                  <th scope="col">Type</th>
                  <th scope="col">Triggers</th>
                  <th scope="col">Last run</th>
                  {operator && <th scope="col">Run</th>}
                </tr>
              </thead>
              <tbody>
                {jobs.data.items.map((job) => (
                  <tr key={job.id}>
                    <td>
                      <strong>{job.id}</strong>
                      {!job.enabled && <span className="muted"> (disabled)</span>}
                      {job.description && <div className="muted">{job.description}</div>}
                    </td>
                    <td>{job.type}</td>
                    <td>{[...job.schedules, ...job.events].join(', ') || 'manual only'}</td>
                    <td>
                      {job.last_run ? (
                        <>
                          <RunStateBadge state={job.last_run.state} />{' '}
                          <Link to="/runs/$id" params={{ id: job.last_run.id }}>
                            <Relative iso={job.last_run.finished_at ?? job.last_run.created_at} />
                          </Link>
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
                    {operator && (
                      <td>
                        <button
                          type="button"
                          disabled={run.isPending}
                          aria-label={`Run now: ${job.id}`}
                          onClick={() => run.mutate(job.id)}
                        >
                          Run now
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <h2>Latest job runs</h2>
      {runs.isPending && <Loading what="runs" />}
      {runs.isError && <ErrorView error={runs.error} what="the runs" />}
      {runs.data && <RunsTable runs={jobRuns} />}
    </section>
  );
}
