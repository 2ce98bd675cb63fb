/**
 * What the last drift check found (docs/drift.md): since when the workspace differs from its code, what a
 * deploy would change to undo it, and the resources concerned, with the check's run.
 */
import { Link } from '@tanstack/react-router';
import type { Drift } from '../../api/types';
import { Time } from '../../components/Time';

export function DriftPanel({ drift, zone }: { drift: Drift | null; zone: string }) {
  if (!drift) return <p className="muted">No drift check yet.</p>;
  const addresses = drift.addresses ?? [];
  return (
    <>
      <p>
        {drift.since ? (
          <>
            <strong>Drifted</strong> since <Time iso={drift.since} zone={zone} />
            {drift.summary &&
              ` — to undo it a deploy would add ${drift.summary.add}, change ${drift.summary.change}, destroy ${drift.summary.destroy}`}
          </>
        ) : (
          'No drift: the resources match the code.'
        )}{' '}
        <span className="muted">
          Checked <Time iso={drift.checked_at} zone={zone} />
          {drift.run_id && (
            <>
              {' '}
              (
              <Link to="/runs/$id" params={{ id: drift.run_id }}>
                plan
              </Link>
              )
            </>
          )}
        </span>
      </p>
      {addresses.length > 0 && (
        <ul className="plain" aria-label="Drifted resources">
          {addresses.map((address) => (
            <li key={address}>
              <code>{address}</code>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
