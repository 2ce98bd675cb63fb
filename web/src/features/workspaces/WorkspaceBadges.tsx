import type { Workspace } from '../../api/types';
import { Badge } from '../../components/Status';
import { formatTimeInZone, formatUtc } from '../../lib/time';
import { describeOverride } from './override-presets';

/** Drift, overrides, disabled, protected, broken config: shown only when they apply. */
export function WorkspaceBadges({ workspace }: { workspace: Workspace }) {
  return (
    <span className="badges">
      {!workspace.enabled && <Badge tone="idle">Disabled</Badge>}
      {workspace.drifted && (
        <Badge tone="warn" title="The last plan found changes made outside Tide">
          Drift
        </Badge>
      )}
      {workspace.ttl && (
        <Badge
          tone="warn"
          title={`TTL: destroyed at ${formatUtc(workspace.ttl.destroy_at)}${workspace.ttl.extended_until ? ' (extended)' : ''}`}
        >
          TTL{' '}
          {formatTimeInZone(
            workspace.ttl.destroy_at,
            workspace.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
          )}
        </Badge>
      )}
      {workspace.overrides.map((override) => (
        <Badge
          key={override.id}
          tone="info"
          title={[override.reason, `until ${formatUtc(override.ends_at)}`].filter(Boolean).join(' ')}
        >
          {describeOverride(override)}
        </Badge>
      ))}
      {workspace.protect && <Badge tone="idle">Protected</Badge>}
      {workspace.config_error && (
        <Badge tone="bad" title={workspace.config_error}>
          Config error
        </Badge>
      )}
    </span>
  );
}
