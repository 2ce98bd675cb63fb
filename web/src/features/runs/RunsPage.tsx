/** Every run the caller may read, newest first, filtered by workspace, state and trigger; kept live by the event stream. */
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { FilterSelect } from '../../components/FilterSelect';
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
        <FilterSelect
          id="runs-state"
          label="State"
          options={STATES}
          value={search.state}
          onChange={(state) => set({ state })}
          optionLabel={(state) => state.replace(',', ' or ')}
        />
        <FilterSelect
          id="runs-trigger"
          label="Trigger"
          options={TRIGGERS}
          value={search.trigger}
          onChange={(trigger) => set({ trigger })}
        />
      </form>
      <QueryView query={runs} what="runs">
        {(page) => <RunsTable runs={page.items} />}
      </QueryView>
    </section>
  );
}
