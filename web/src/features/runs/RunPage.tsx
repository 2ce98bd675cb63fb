import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from '@tanstack/react-router';
import { ErrorView, Loading } from '../../components/Feedback';
import { RunStateBadge } from '../../components/Status';
import { Time } from '../../components/Time';
import { canOperate } from '../../lib/permissions';
import { useMe } from '../auth/session';
import { cancelRun } from './api/cancel-run';
import { getRun } from './api/get-run';
import { Outputs, PlanSummary } from './RunDetails';
import { RunLog } from './RunLog';

/** One run: what, when, why, its live log, and Cancel while it is queued or running. */
export function RunPage() {
  const { id } = useParams({ from: '/runs/$id' });
  const client = useQueryClient();
  const me = useMe();
  const run = useQuery({ queryKey: ['run', id], queryFn: () => getRun(id) });
  const cancel = useMutation({
    mutationFn: () => cancelRun(id),
    onSuccess: (updated) => client.setQueryData(['run', id], updated),
  });
  if (run.isPending) return <Loading what="the run" />;
  if (run.isError) return <ErrorView error={run.error} what="the run" />;
  const r = run.data;
  const active = r.state === 'queued' || r.state === 'running';
  return (
    <section aria-labelledby="run-title">
      <div className="page-head">
        <h1 id="run-title">
          {r.action} of{' '}
          <Link to="/workspaces/$name" params={{ name: r.workspace }}>
            {r.workspace}
          </Link>
        </h1>
        <RunStateBadge state={r.state} />
        {active && canOperate(me.data?.role) && (
          <button
            type="button"
            className="danger"
            disabled={cancel.isPending || r.cancel_requested_at !== null}
            onClick={() => cancel.mutate()}
          >
            {r.cancel_requested_at ? 'Cancel requested' : 'Cancel run'}
          </button>
        )}
      </div>
      {cancel.isError && <ErrorView error={cancel.error} />}
      <dl className="kv">
        <div>
          <dt>Run</dt>
          <dd>
            <code>{r.id}</code>
          </dd>
        </div>
        <div>
          <dt>Trigger</dt>
          <dd>
            {r.trigger}
            {r.actor ? ` by ${r.actor}` : ''}
          </dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>
            <Time iso={r.created_at} />
          </dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>
            <Time iso={r.started_at} />
          </dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>
            <Time iso={r.finished_at} />
          </dd>
        </div>
        {r.reason && (
          <div>
            <dt>Reason</dt>
            <dd>{r.reason}</dd>
          </div>
        )}
      </dl>
      <h2>Plan</h2>
      <PlanSummary run={r} />
      <h2>Outputs</h2>
      <Outputs run={r} />
      <h2>Log</h2>
      <RunLog runId={r.id} />
    </section>
  );
}
