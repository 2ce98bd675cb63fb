/**
 * The notification delivery log (operators and admins, docs/notifications.md), newest first, one row per
 * attempt: filters by workspace, event and outcome, Older/Newer paging with the API's cursors.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { Delivery, DeliveryOutcome, NotificationEvent } from '../../api/types';
import type { Column } from '../../components/DataTable';
import { FilterSelect } from '../../components/FilterSelect';
import { Pager } from '../../components/Pager';
import { QueryTable } from '../../components/QueryTable';
import { Time } from '../../components/Time';
import { useCursorPages } from '../../lib/cursor-pages';
import { listDeliveries, type DeliveryFilters } from './api/list-deliveries';

/**
 * Every member of one of the API's unions (generated from the server's schemas), in the order written:
 * a member the server adds or drops fails the type check instead of going missing from a filter.
 */
const everyOf = <T extends string>(members: Record<T, true>) => Object.keys(members) as T[];

const EVENTS = everyOf<NotificationEvent>({
  run_succeeded: true,
  run_failed: true,
  firing_missed: true,
  firing_skipped: true,
  ttl_reminder: true,
  drift_detected: true,
  config_error: true,
  environment_switched: true,
  backup_failed: true,
  test: true,
});
const OUTCOMES = everyOf<DeliveryOutcome>({ delivered: true, retry: true, failed: true });

const detail = (d: Delivery) =>
  [d.status_code, d.error, d.duration_ms === null ? null : `${d.duration_ms} ms`]
    .filter((part) => part !== null && part !== '')
    .join(' · ') || '—';

const COLUMNS: Column<Delivery>[] = [
  { header: 'When', cell: (d) => <Time iso={d.created_at} /> },
  { header: 'Event', cell: (d) => d.event },
  { header: 'Workspace', cell: (d) => d.workspace ?? '—' },
  {
    header: 'Target',
    cell: (d) => (
      <>
        {d.target} <span className="muted">({d.target_type})</span>
      </>
    ),
  },
  { header: 'Attempt', cell: (d) => d.attempt },
  { header: 'Outcome', cell: (d) => d.outcome },
  { header: 'Detail', cell: detail },
];

export function DeliveriesPage() {
  const id = useId();
  const [workspace, setWorkspace] = useState('');
  const [event, setEvent] = useState<NotificationEvent>();
  const [status, setStatus] = useState<DeliveryOutcome>();
  const pages = useCursorPages();
  const filters: DeliveryFilters = {
    ...(workspace.trim() && { workspace: workspace.trim() }),
    ...(event && { event }),
    ...(status && { status }),
    ...(pages.cursor && { cursor: pages.cursor }),
  };
  const deliveries = useQuery({
    queryKey: ['deliveries', filters],
    queryFn: () => listDeliveries(filters),
    placeholderData: keepPreviousData,
  });
  return (
    <section aria-labelledby="deliveries-title">
      <div className="page-head">
        <h1 id="deliveries-title">Notification deliveries</h1>
      </div>
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor={`${id}-workspace`}>Workspace</label>
        <input
          id={`${id}-workspace`}
          value={workspace}
          onChange={(e) => pages.filter(setWorkspace)(e.target.value)}
        />
        <FilterSelect
          id={`${id}-event`}
          label="Event"
          options={EVENTS}
          value={event}
          onChange={pages.filter(setEvent)}
        />
        <FilterSelect
          id={`${id}-status`}
          label="Outcome"
          options={OUTCOMES}
          value={status}
          onChange={pages.filter(setStatus)}
        />
      </form>
      <QueryTable
        query={deliveries}
        what="deliveries"
        columns={COLUMNS}
        rowKey="id"
        empty="No delivery matches."
      />
      <Pager pages={pages} next={deliveries.data?.next_cursor} />
    </section>
  );
}
