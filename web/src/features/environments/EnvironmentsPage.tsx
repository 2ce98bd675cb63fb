/**
 * Blue/green environments (docs/environments.md): each one's domain, reserved IPs and the workspace they
 * point at, its latest switches with their health checks; operators switch it to another workspace,
 * confirmed by typing the environment's name, and see the switch's result and checks when it is over.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { ApiError } from '../../api/errors';
import type { Environment, EnvironmentSwitch, HealthCheck } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorView, Loading } from '../../components/Feedback';
import { QueryView } from '../../components/QueryView';
import { Time } from '../../components/Time';
import { canOperate } from '../../lib/permissions';
import { useMe } from '../auth/session';
import { useWorkspaces } from '../workspaces/use-workspaces';
import { getEnvironment } from './api/get-environment';
import { listEnvironments } from './api/list-environments';
import { switchEnvironment } from './api/switch-environment';

function Checks({ label, checks }: { label: string; checks: HealthCheck[] }) {
  if (checks.length === 0) return null;
  return (
    <ul className="plain" aria-label={label}>
      {checks.map((check) => (
        <li key={check.address}>
          {check.ok ? '✓' : '✕'} {label}: {check.detail}
        </li>
      ))}
    </ul>
  );
}

function SwitchResult({ result }: { result: EnvironmentSwitch }) {
  return (
    <div className="switch-result">
      <p>
        <strong>{result.result}</strong>: {result.from_workspace ?? 'nothing'} → {result.to_workspace} by{' '}
        {result.actor}, <Time iso={result.started_at} />
        {result.reason && ` — ${result.reason}`}
      </p>
      <Checks label="health check" checks={result.checks} />
      <Checks label="verification" checks={result.verification} />
    </div>
  );
}

/** A refused or failed switch is recorded too: the error carries it (`details.switch`). */
const switchOf = (error: unknown): EnvironmentSwitch | null =>
  error instanceof ApiError
    ? ((error.details as { switch?: EnvironmentSwitch } | undefined)?.switch ?? null)
    : null;

function EnvironmentCard({ environment, operator }: { environment: Environment; operator: boolean }) {
  const id = useId();
  const client = useQueryClient();
  const workspaces = useWorkspaces();
  const detail = useQuery({
    queryKey: ['environment', environment.name],
    queryFn: () => getEnvironment(environment.name),
  });
  const [target, setTarget] = useState('');
  const [asking, setAsking] = useState(false);
  const run = useMutation({
    mutationFn: () => switchEnvironment(environment.name, target),
    onSettled: async () => {
      setAsking(false);
      await Promise.all([
        client.invalidateQueries({ queryKey: ['environments'] }),
        client.invalidateQueries({ queryKey: ['environment', environment.name] }),
      ]);
    },
  });
  const failedSwitch = run.isError ? switchOf(run.error) : null;
  const candidates = (workspaces.data ?? []).filter((w) => w.name !== environment.assigned_workspace);
  return (
    <article className="card" aria-labelledby={`${id}-name`}>
      <h2 id={`${id}-name`}>{environment.name}</h2>
      {environment.config_error ? (
        <div className="error" role="alert">
          Configuration error: {environment.config_error}
        </div>
      ) : (
        <>
          {environment.description && <p>{environment.description}</p>}
          <dl className="kv">
            <div>
              <dt>Domain</dt>
              <dd>{environment.domain ?? '—'}</dd>
            </div>
            <div>
              <dt>Reserved IPs</dt>
              <dd>{environment.reserved_ips?.join(', ') || '—'}</dd>
            </div>
            <div>
              <dt>Assigned to</dt>
              <dd>
                <strong>{environment.assigned_workspace ?? 'nothing'}</strong>{' '}
                <span className="muted">
                  ({environment.assignment_source}
                  {environment.assigned_by && `, by ${environment.assigned_by}`})
                </span>
                {environment.switching_to && ` — switching to ${environment.switching_to}`}
              </dd>
            </div>
          </dl>
          {operator && (
            <form
              className="inline"
              onSubmit={(event) => {
                event.preventDefault();
                if (target) setAsking(true);
              }}
            >
              <label htmlFor={`${id}-target`}>Switch to</label>
              <select id={`${id}-target`} value={target} onChange={(event) => setTarget(event.target.value)}>
                <option value="">Choose a workspace</option>
                {candidates.map((w) => (
                  <option key={w.name} value={w.name}>
                    {w.name} ({w.status})
                  </option>
                ))}
              </select>
              <button type="submit" disabled={!target || run.isPending}>
                Switch…
              </button>
            </form>
          )}
          {run.isPending && <Loading what={`the switch to ${target} (health checks, then the actions)`} />}
          {run.data && <SwitchResult result={run.data} />}
          {run.isError && <ErrorView error={run.error} />}
          {failedSwitch && <SwitchResult result={failedSwitch} />}
          <h3>Latest switches</h3>
          <QueryView query={detail} what="switches">
            {({ switches }) =>
              switches.length === 0 ? (
                <p className="muted">Never switched.</p>
              ) : (
                switches.map((s) => <SwitchResult key={s.id} result={s} />)
              )
            }
          </QueryView>
        </>
      )}
      <ConfirmDialog
        open={asking}
        title={`Switch ${environment.name} to ${target}?`}
        description={`Points ${environment.domain ?? environment.name} (${environment.reserved_ips?.join(', ') ?? 'no reserved IP'}) at ${target}, now on ${environment.assigned_workspace ?? 'nothing'}, after its health check passes.`}
        confirmText={environment.name}
        actionLabel={`Switch ${environment.name} to ${target}`}
        onConfirm={() => run.mutate()}
        onClose={() => setAsking(false)}
      />
    </article>
  );
}

export function EnvironmentsPage() {
  const me = useMe();
  const environments = useQuery({ queryKey: ['environments'], queryFn: listEnvironments });
  return (
    <section aria-labelledby="environments-title">
      <div className="page-head">
        <h1 id="environments-title">Environments</h1>
      </div>
      <QueryView query={environments} what="environments">
        {({ items }) =>
          items.length === 0 ? (
            <p className="muted">No environment configured (docs/environments.md).</p>
          ) : (
            items.map((environment) => (
              <EnvironmentCard
                key={environment.name}
                environment={environment}
                operator={canOperate(me.data?.role)}
              />
            ))
          )
        }
      </QueryView>
    </section>
  );
}
