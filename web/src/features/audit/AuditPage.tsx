/**
 * The audit log (admins, docs/security.md#audit-log), newest first, 50 a page: filters by actor, action,
 * workspace and time range (in the browser's zone), and Older/Newer paging with the API's cursors.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { AuditEntry } from '../../api/types';
import type { Column } from '../../components/DataTable';
import { Pager } from '../../components/Pager';
import { QueryTable } from '../../components/QueryTable';
import { Time } from '../../components/Time';
import { useCursorPages } from '../../lib/cursor-pages';
import { listAudit, type AuditFilters } from './api/list-audit';

/** A `datetime-local` value is a wall clock in the browser's zone; the API takes an instant. */
const instant = (value: string) => (value ? new Date(value).toISOString() : undefined);

const COLUMNS: Column<AuditEntry>[] = [
  { header: 'When', cell: (entry) => <Time iso={entry.at} /> },
  { header: 'Actor', cell: (entry) => entry.actor },
  { header: 'Action', cell: (entry) => <code>{entry.action}</code> },
  { header: 'Target', cell: (entry) => entry.target ?? '—' },
  { header: 'Result', cell: (entry) => entry.result },
  {
    header: 'Details',
    className: 'details',
    cell: (entry) => (entry.details ? <code>{JSON.stringify(entry.details)}</code> : '—'),
  },
];

export function AuditPage() {
  const id = useId();
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [workspace, setWorkspace] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const pages = useCursorPages();
  const filters: AuditFilters = {
    ...(actor.trim() && { actor: actor.trim() }),
    ...(action.trim() && { action: action.trim() }),
    ...(workspace.trim() && { target: `workspace:${workspace.trim()}` }),
    ...(since && { since: instant(since) }),
    ...(until && { until: instant(until) }),
    ...(pages.cursor && { cursor: pages.cursor }),
  };
  const audit = useQuery({
    queryKey: ['audit', filters],
    queryFn: () => listAudit(filters),
    placeholderData: keepPreviousData,
  });
  const filter = (set: (value: string) => void) => (event: { target: { value: string } }) =>
    pages.filter(set)(event.target.value);
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
      <QueryTable
        query={audit}
        what="the audit log"
        errorWhat="the audit log"
        columns={COLUMNS}
        rowKey="id"
        empty="No entry matches."
      />
      <Pager pages={pages} next={audit.data?.next_cursor} />
    </section>
  );
}
