/**
 * The audit log (admins, docs/security.md#audit-log), newest first, 50 a page: filters by actor, action,
 * workspace and time range (in the browser's zone), and Older/Newer paging with the API's cursors.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ErrorView, Loading } from '../../components/Feedback';
import { Time } from '../../components/Time';
import { listAudit, type AuditFilters } from './api/list-audit';

/** A `datetime-local` value is a wall clock in the browser's zone; the API takes an instant. */
const instant = (value: string) => (value ? new Date(value).toISOString() : undefined);

export function AuditPage() {
  const id = useId();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [workspace, setWorkspace] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  // The cursors of the pages before this one, to go back: the API pages forward only.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const filters: AuditFilters = {
    ...(actor.trim() && { actor: actor.trim() }),
    ...(action.trim() && { action: action.trim() }),
    ...(workspace.trim() && { target: `workspace:${workspace.trim()}` }),
    ...(since && { since: instant(since) }),
    ...(until && { until: instant(until) }),
    ...(cursors.at(-1) && { cursor: cursors.at(-1) }),
  };
  const audit = useQuery({
    queryKey: ['audit', filters],
    queryFn: () => listAudit(filters),
    placeholderData: keepPreviousData,
  });
  const filter = (set: (value: string) => void) => (event: { target: { value: string } }) => {
    set(event.target.value);
    setCursors([undefined]);
  };
  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
      </div>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor={`${id}-actor`}>Actor</label>
        <input id={`${id}-actor`} value={actor} onChange={filter(setActor)} placeholder="alice" />
        <label htmlFor={`${id}-action`}>Action</label>
        <input
          id={`${id}-action`}
          value={action}
          onChange={filter(setAction)}
          placeholder="workspace.deploy"
        />
        <label htmlFor={`${id}-workspace`}>Workspace</label>
        <input id={`${id}-workspace`} value={workspace} onChange={filter(setWorkspace)} />
        <label htmlFor={`${id}-since`}>From</label>
        <input id={`${id}-since`} type="datetime-local" value={since} onChange={filter(setSince)} />
        <label htmlFor={`${id}-until`}>To</label>
        <input id={`${id}-until`} type="datetime-local" value={until} onChange={filter(setUntil)} />
      </form>
      {audit.isPending && <Loading what="the audit log" />}
      {audit.isError && <ErrorView error={audit.error} what="the audit log" />}
      {audit.data &&
        (audit.data.items.length === 0 ? (
          <p className="muted">No entry matches.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Result</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {audit.data.items.map((entry) => (
                  <tr key={entry.id}>
                    <td>
                      <Time iso={entry.at} />
                    </td>
                    <td>{entry.actor}</td>
                    <td>
                      <code>{entry.action}</code>
                    </td>
                    <td>{entry.target ?? '—'}</td>
                    <td>{entry.result}</td>
                    <td className="details">
                      {entry.details ? <code>{JSON.stringify(entry.details)}</code> : '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <div className="actions">
        <button
          type="button"
          disabled={cursors.length < 2}
          onClick={() => setCursors((previous) => previous.slice(0, -1))}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={!audit.data?.next_cursor}
          onClick={() => setCursors((previous) => [...previous, audit.data?.next_cursor ?? undefined])}
        >
          Older
        </button>
      </div>
    </section>
  );
}
