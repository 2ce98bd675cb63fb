/**
 * The overrides in force on a workspace (kind, end in the workspace's zone, reason, who) and, for
 * operators, one-click ways to add one: keep up until 21:00 / +1 h / +3 h / a chosen time, extend the TTL
 * of a deployed workspace, skip the next deploy or destroy, keep down, pause. Each is a POST the server
 * audits (`override.add`); the schedule and the week timeline are read again so they show it at once.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { OverrideKind, Workspace } from '../../api/types';
import { DataTable } from '../../components/DataTable';
import { ErrorView } from '../../components/Feedback';
import { Time } from '../../components/Time';
import { useNow } from '../../lib/time';
import { addOverride, type NewOverride } from './api/add-override';
import { removeOverride } from './api/remove-override';
import { describeOverride, extendedKeepUp, tonightAt21, untilFromInput } from './override-presets';

const TIMED_KINDS: Array<{ kind: Exclude<OverrideKind, 'skip_next'>; label: string }> = [
  { kind: 'keep_up_until', label: 'Keep up until' },
  { kind: 'keep_down_until', label: 'Keep down until' },
  { kind: 'pause_until', label: 'Pause until' },
];

export function OverridesPanel({
  workspace,
  zone,
  canWrite,
}: {
  workspace: Workspace;
  zone: string;
  canWrite: boolean;
}) {
  const client = useQueryClient();
  const now = useNow(60_000);
  const id = useId();
  const [reason, setReason] = useState('');
  const [kind, setKind] = useState<Exclude<OverrideKind, 'skip_next'>>('keep_up_until');
  const [until, setUntil] = useState('');
  const refresh = () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ['workspace', workspace.name] }),
      client.invalidateQueries({ queryKey: ['schedule', workspace.name] }),
      client.invalidateQueries({ queryKey: ['workspaces'] }),
    ]);
  const add = useMutation({
    mutationFn: (body: NewOverride) =>
      addOverride(workspace.name, reason.trim() ? { ...body, reason: reason.trim() } : body),
    onSuccess: async () => {
      setReason('');
      setUntil('');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (overrideId: string) => removeOverride(workspace.name, overrideId),
    onSuccess: refresh,
  });
  const tonight = tonightAt21(now, zone);
  const chosen = untilFromInput(until, zone);
  const busy = add.isPending || remove.isPending;
  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Overrides</h2>
      <DataTable
        caption="Overrides in force"
        rows={workspace.overrides}
        rowKey="id"
        empty="No override in force: the schedule decides."
        columns={[
          { header: 'Override', cell: (override) => describeOverride(override) },
          { header: `Until (${zone})`, cell: (override) => <Time iso={override.ends_at} zone={zone} /> },
          { header: 'Reason', cell: (override) => override.reason ?? '—' },
          { header: 'By', cell: (override) => override.actor ?? '—' },
          canWrite && {
            header: 'Remove',
            cell: (override) => (
              <button
                type="button"
                disabled={busy}
                aria-label={`Remove ${describeOverride(override)} override`}
                onClick={() => remove.mutate(override.id)}
              >
                Remove
              </button>
            ),
          },
        ]}
      />
      {remove.isError && <ErrorView error={remove.error} />}
      {canWrite && (
        <>
          <div className="filters">
            <label htmlFor={`${id}-reason`}>Reason (optional)</label>
            <input
              id={`${id}-reason`}
              value={reason}
              maxLength={500}
              placeholder="client demo"
              onChange={(event) => setReason(event.target.value)}
            />
          </div>
          <div className="actions" role="group" aria-label="Keep up until">
            <span>Keep up until:</span>
            <button
              type="button"
              disabled={busy}
              onClick={() => add.mutate({ kind: 'keep_up_until', until: tonight.until })}
            >
              21:00 {tonight.tomorrow ? 'tomorrow' : 'today'}
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() => add.mutate({ kind: 'keep_up_until', for: '1h' })}
            >
              +1 h
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() => add.mutate({ kind: 'keep_up_until', for: '3h' })}
            >
              +3 h
            </button>
            {workspace.status === 'deployed' && (
              <button
                type="button"
                disabled={busy}
                title="Keeps it up an hour past the TTL's end or the latest keep-up in force (docs/ttl.md)"
                onClick={() =>
                  add.mutate({
                    kind: 'keep_up_until',
                    until: extendedKeepUp(now, workspace.overrides, workspace.ttl?.ends_at),
                  })
                }
              >
                Extend TTL by 1 h
              </button>
            )}
          </div>
          <div className="actions" role="group" aria-label="Skip the next firing">
            <button
              type="button"
              disabled={busy}
              onClick={() => add.mutate({ kind: 'skip_next', action: 'deploy' })}
            >
              Skip next deploy
            </button>
            <button
              type="button"
              disabled={busy}
              onClick={() => add.mutate({ kind: 'skip_next', action: 'destroy' })}
            >
              Skip next destroy
            </button>
          </div>
          <form
            className="inline"
            onSubmit={(event) => {
              event.preventDefault();
              if (chosen) add.mutate({ kind, until: chosen });
            }}
          >
            <label htmlFor={`${id}-kind`} className="sr-only">
              Kind
            </label>
            <select
              id={`${id}-kind`}
              value={kind}
              onChange={(event) => setKind(event.target.value as typeof kind)}
            >
              {TIMED_KINDS.map((option) => (
                <option key={option.kind} value={option.kind}>
                  {option.label}
                </option>
              ))}
            </select>
            <label htmlFor={`${id}-until`}>Until ({zone})</label>
            <input
              id={`${id}-until`}
              type="datetime-local"
              value={until}
              onChange={(event) => setUntil(event.target.value)}
            />
            <button type="submit" className="primary" disabled={busy || !chosen}>
              Add override
            </button>
          </form>
          {add.isError && <ErrorView error={add.error} />}
        </>
      )}
    </section>
  );
}
