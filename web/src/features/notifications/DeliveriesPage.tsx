/**
 * The notification delivery log (operators and admins, docs/notifications.md), newest first, one row per
 * attempt: filters by workspace, event and outcome, Older/Newer paging with the API's cursors.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ErrorView, Loading } from '../../components/Feedback';
import { Time } from '../../components/Time';
import { listDeliveries, type DeliveryFilters } from './api/list-deliveries';

const EVENTS: NonNullable<DeliveryFilters['event']>[] = [
  'run_succeeded',
  'run_failed',
  'firing_missed',
  'firing_skipped',
  'ttl_reminder',
  'drift_detected',
  'config_error',
  'environment_switched',
  'backup_failed',
  'test',
];
const OUTCOMES: NonNullable<DeliveryFilters['status']>[] = ['delivered', 'retry', 'failed'];

export function DeliveriesPage() {
  const id = useId();
  const [workspace, setWorkspace] = useState('');
  const [event, setEvent] = useState<DeliveryFilters['event']>();
  const [status, setStatus] = useState<DeliveryFilters['status']>();
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const filters: DeliveryFilters = {
    ...(workspace.trim() && { workspace: workspace.trim() }),
    ...(event && { event }),
    ...(status && { status }),
    ...(cursors.at(-1) && { cursor: cursors.at(-1) }),
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
          onChange={(e) => {
            setWorkspace(e.target.value);
            setCursors([undefined]);
          }}
        />
        <label htmlFor={`${id}-event`}>Event</label>
        <select
          id={`${id}-event`}
          value={event ?? ''}
          onChange={(e) => {
            setEvent((e.target.value || undefined) as DeliveryFilters['event']);
            setCursors([undefined]);
          }}
        >
          <option value="">Any</option>
          {EVENTS.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-status`}>Outcome</label>
        <select
          id={`${id}-status`}
          value={status ?? ''}
          onChange={(e) => {
            setStatus((e.target.value || undefined) as DeliveryFilters['status']);
            setCursors([undefined]);
          }}
        >
          <option value="">Any</option>
          {OUTCOMES.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </form>
      {deliveries.isPending && <Loading what="deliveries" />}
      {deliveries.isError && <ErrorView error={deliveries.error} what="the deliveries" />}
      {deliveries.data &&
        (deliveries.data.items.length === 0 ? (
          <p className="muted">No delivery matches.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Event</th>
                  <th scope="col">Workspace</th>
                  <th scope="col">Target</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Detail</th>
                </tr>
              </thead>
              <tbody>
                {deliveries.data.items.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <Time iso={d.created_at} />
                    </td>
                    <td>{d.event}</td>
                    <td>{d.workspace ?? '—'}</td>
                    <td>
                      {d.target} <span className="muted">({d.target_type})</span>
                    </td>
                    <td>{d.attempt}</td>
                    <td>{d.outcome}</td>
                    <td>
                      {[d.status_code, d.error, d.duration_ms === null ? null : `${d.duration_ms} ms`]
                        .filter((part) => part !== null && part !== '')
                        .join(' · ') || '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <div className="actions">
        <button type="button" disabled={cursors.length < 2} onClick={() => setCursors((p) => p.slice(0, -1))}>
          Newer
        </button>
        <button
          type="button"
          disabled={!deliveries.data?.next_cursor}
          onClick={() => setCursors((p) => [...p, deliveries.data?.next_cursor ?? undefined])}
        >
          Older
        </button>
      </div>
    </section>
  );
}
