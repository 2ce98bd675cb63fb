import { Link } from '@tanstack/react-router';
import type { Run } from '../../api/types';
import { DataTable } from '../../components/DataTable';
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
  return (
    <DataTable
      rows={runs}
      rowKey="id"
      empty="No runs."
      columns={[
        {
          header: 'Run',
          cell: (run) => (
            <Link to="/runs/$id" params={{ id: run.id }}>
              {run.id.slice(0, 8)}
            </Link>
          ),
        },
        showWorkspace && {
          header: 'Workspace',
          cell: (run) => (
            <Link to="/workspaces/$name" params={{ name: run.workspace }}>
              {run.workspace}
            </Link>
          ),
        },
        {
          header: 'Action',
          cell: (run) => (
            <>
              {run.action}
              {run.mode ? ` (${run.mode})` : ''}
              {run.job ? ` ${run.job}` : ''}
            </>
          ),
        },
        { header: 'State', cell: (run) => <RunStateBadge state={run.state} /> },
        {
          header: 'Trigger',
          cell: (run) => (
            <>
              {run.trigger}
              {run.actor ? <span className="muted"> by {run.actor}</span> : null}
            </>
          ),
        },
        { header: 'Created', cell: (run) => <Time iso={run.created_at} zone={zone} /> },
        { header: 'Finished', cell: (run) => <Relative iso={run.finished_at} /> },
      ]}
    />
  );
}
