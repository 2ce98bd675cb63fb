/**
 * Every workspace with its status, mode, next up/down and badges; filtered and searched on the page
 * (the URL keeps the filters). The list is virtualized: only the rows on screen exist in the DOM, so
 * 1,000 workspaces scroll as smoothly as 10. Arrow keys move between rows.
 */
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef } from 'react';
import type { Workspace, WorkspaceStatus } from '../../api/types';
import { ErrorView, Loading } from '../../components/Feedback';
import { FilterSelect } from '../../components/FilterSelect';
import { WorkspaceStatusBadge } from '../../components/Status';
import { Relative } from '../../components/Time';
import { useWorkspaces } from './use-workspaces';
import { WorkspaceBadges } from './WorkspaceBadges';

export interface FleetSearch {
  q?: string;
  status?: WorkspaceStatus;
}

const STATUSES: WorkspaceStatus[] = [
  'deployed',
  'destroyed',
  'deploying',
  'destroying',
  'deploy_failed',
  'destroy_failed',
];
/** An estimate: rows are measured once drawn (they grow when a phone's width wraps them). */
const ROW_HEIGHT = 64;

function matches(workspace: Workspace, search: FleetSearch): boolean {
  if (search.status && workspace.status !== search.status) return false;
  if (!search.q) return true;
  const needle = search.q.toLowerCase();
  const haystack = [
    workspace.name,
    workspace.description,
    workspace.template ?? '',
    ...Object.entries(workspace.labels).flat(),
  ];
  return haystack.some((text) => text.toLowerCase().includes(needle));
}

function nextOf(workspace: Workspace, action: 'deploy' | 'destroy'): string | null {
  return workspace.next_firings.find((firing) => firing.action === action)?.scheduled_at ?? null;
}

export function FleetPage() {
  const search = useSearch({ from: '/' });
  const navigate = useNavigate({ from: '/' });
  const workspaces = useWorkspaces();
  const shown = useMemo(
    () => (workspaces.data ?? []).filter((w) => matches(w, search)),
    [workspaces.data, search],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
  });

  const focusRow = (index: number) => {
    const target = Math.max(0, Math.min(shown.length - 1, index));
    virtualizer.scrollToIndex(target);
    requestAnimationFrame(() =>
      scroller.current?.querySelector<HTMLElement>(`[data-index="${target}"] a`)?.focus(),
    );
  };

  return (
    <section aria-labelledby="fleet-title">
      <div className="page-head">
        <h1 id="fleet-title">Fleet</h1>
        <p className="muted">
          {workspaces.data ? `${shown.length} of ${workspaces.data.length} workspaces` : '\u00a0'}
        </p>
      </div>
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor="fleet-search">Search</label>
        <input
          id="fleet-search"
          type="search"
          placeholder="name, label, template…"
          value={search.q ?? ''}
          onChange={(event) =>
            void navigate({
              search: (prev) => ({ ...prev, q: event.target.value || undefined }),
              replace: true,
            })
          }
        />
        <FilterSelect
          id="fleet-status"
          label="Status"
          options={STATUSES}
          value={search.status}
          onChange={(status) => void navigate({ search: (prev) => ({ ...prev, status }), replace: true })}
          optionLabel={(status) => status.replace('_', ' ')}
        />
      </form>
      {workspaces.isPending && <Loading what="workspaces" />}
      {workspaces.isError && <ErrorView error={workspaces.error} what="the workspaces" />}
      {workspaces.data && shown.length === 0 && <p>No workspace matches.</p>}
      {shown.length > 0 && (
        <div className="fleet-head" aria-hidden="true">
          <span>Workspace</span>
          <span>Status</span>
          <span>Mode</span>
          <span>Next up</span>
          <span>Next down</span>
        </div>
      )}
      <div
        ref={scroller}
        className="fleet-list"
        role="list"
        aria-label="Workspaces"
        onKeyDown={(event) => {
          const index = Number(
            (event.target as HTMLElement).closest<HTMLElement>('[data-index]')?.dataset.index,
          );
          if (Number.isNaN(index)) return;
          if (event.key === 'ArrowDown') focusRow(index + 1);
          else if (event.key === 'ArrowUp') focusRow(index - 1);
          else if (event.key === 'Home') focusRow(0);
          else if (event.key === 'End') focusRow(shown.length - 1);
          else return;
          event.preventDefault();
        }}
      >
        <div className="fleet-spacer" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const workspace = shown[item.index]!;
            return (
              <div
                key={workspace.name}
                ref={virtualizer.measureElement}
                role="listitem"
                data-index={item.index}
                className="fleet-row"
                style={{ transform: `translateY(${item.start}px)` }}
              >
                <span className="fleet-name">
                  <Link to="/workspaces/$name" params={{ name: workspace.name }}>
                    {workspace.name}
                  </Link>
                  <span className="muted small">{workspace.description}</span>
                </span>
                <span>
                  <WorkspaceStatusBadge status={workspace.status} />
                  <WorkspaceBadges workspace={workspace} />
                </span>
                <span>{workspace.mode ?? <span className="muted">—</span>}</span>
                <span>
                  <span className="label-sm">Next up </span>
                  <Relative iso={nextOf(workspace, 'deploy')} />
                </span>
                <span>
                  <span className="label-sm">Next down </span>
                  <Relative iso={nextOf(workspace, 'destroy')} />
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
