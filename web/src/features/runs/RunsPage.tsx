/** Every run the caller may read, newest first, filtered by workspace, state and trigger; kept live by the event stream. */
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { QueryView } from '../../components/QueryView';
import { listRuns, type RunFilters } from './api/list-runs';
import { RunsTable } from './RunsTable';

export interface RunsSearch {
  workspace?: string;
  state?: string;
  trigger?: RunFilters['trigger'];
}

const STATES = [
  'queued,running',
  'queued',
  'running',
  'succeeded',
  'failed',
  'canceled',
  'timed_out',
  'skipped',
];
const TRIGGERS: NonNullable<RunFilters['trigger']>[] = [
  'schedule',
  'window',
  'manual',
  'api',
  'dependency',
  'retry',
  'ttl',
  'event',
];

export function RunsPage() {
  const search = useSearch({ from: '/runs' });
  const navigate = useNavigate({ from: '/runs' });
  const runs = useQuery({ queryKey: ['runs', search], queryFn: () => listRuns(search) });
  const set = (patch: Partial<RunsSearch>) =>
    void navigate({ search: (prev) => ({ ...prev, ...patch }), replace: true });
  return (
    <section aria-labelledby="runs-title">
      <div className="page-head">
        <h1 id="runs-title">Runs</h1>
      </div>
      <form className="filters" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor="runs-workspace">Workspace</label>
        <input
          id="runs-workspace"
          value={search.workspace ?? ''}
          onChange={(event) => set({ workspace: event.target.value || undefined })}
        />
        <label htmlFor="runs-state">State</label>
        <select
          id="runs-state"
          value={search.state ?? ''}
          onChange={(event) => set({ state: event.target.value || undefined })}
        >
          <option value="">Any</option>
          {STATES.map((state) => (
            <option key={state} value={state}>
              {state.replace(',', ' or ')}
            </option>
          ))}
        </select>
        <label htmlFor="runs-trigger">Trigger</label>
        <select
          id="runs-trigger"
          value={search.trigger ?? ''}
          onChange={(event) => set({ trigger: (event.target.value || undefined) as RunsSearch['trigger'] })}
        >
          <option value="">Any</option>
          {TRIGGERS.map((trigger) => (
            <option key={trigger} value={trigger}>
              {trigger}
            </option>
          ))}
        </select>
      </form>
      <QueryView query={runs} what="runs">
        {(page) => <RunsTable runs={page.items} />}
      </QueryView>
    </section>
  );
}
