import type { Run } from '../../api/types';

/** What a plan would change, and the run's outputs (sensitive ones arrive already redacted). */
export function PlanSummary({ run }: { run: Run }) {
  if (!run.plan_summary) return <p className="muted">No plan summary.</p>;
  const { add, change, destroy } = run.plan_summary;
  return (
    <p className="plan">
      <span className="plan-add">+{add} to add</span> <span className="plan-change">~{change} to change</span>{' '}
      <span className="plan-destroy">−{destroy} to destroy</span>
    </p>
  );
}

export function Outputs({ run }: { run: Run }) {
  const entries = Object.entries(run.outputs ?? {});
  if (entries.length === 0) return <p className="muted">No outputs.</p>;
  return (
    <dl className="kv">
      {entries.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>
            <code>{typeof value === 'string' ? value : JSON.stringify(value)}</code>
          </dd>
        </div>
      ))}
    </dl>
  );
}
