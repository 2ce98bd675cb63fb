import { Link } from '@tanstack/react-router';
import type { Run } from '../../api/types';
import { RunStateBadge } from '../../components/Status';
import { Relative, Time } from '../../components/Time';

export function RunsTable({
  runs,
  zone,
  showWorkspace = true,
}: {
  runs: Run[];
  zone?: string | null;
  showWorkspace?: boolean;
}) {
  if (runs.length === 0) return <p className="muted">No runs.</p>;
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Run</th>
            {showWorkspace && <th scope="col">Workspace</th>}
            <th scope="col">Action</th>
            <th scope="col">State</th>
            <th scope="col">Trigger</th>
            <th scope="col">Created</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id}>
              <td>
                <Link to="/runs/$id" params={{ id: run.id }}>
                  {run.id.slice(0, 8)}
                </Link>
              </td>
              {showWorkspace && (
                <td>
                  <Link to="/workspaces/$name" params={{ name: run.workspace }}>
                    {run.workspace}
                  </Link>
                </td>
              )}
              <td>
                {run.action}
                {run.mode ? ` (${run.mode})` : ''}
                {run.job ? ` ${run.job}` : ''}
              </td>
              <td>
                <RunStateBadge state={run.state} />
              </td>
              <td>
                {run.trigger}
                {run.actor ? <span className="muted"> by {run.actor}</span> : null}
              </td>
              <td>
                <Time iso={run.created_at} zone={zone} />
              </td>
              <td>
                <Relative iso={run.finished_at} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
