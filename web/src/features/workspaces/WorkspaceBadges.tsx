import type { Workspace } from '../../api/types';
import { Badge } from '../../components/Status';
import { formatUtc } from '../../lib/time';

/** Drift, TTL, overrides, disabled, protected, broken config: shown only when they apply. */
export function WorkspaceBadges({ workspace }: { workspace: Workspace }) {
  const ttl = workspace.ttl?.expires_at ?? null;
  return (
    <span className="badges">
      {!workspace.enabled && <Badge tone="idle">Disabled</Badge>}
      {workspace.drifted && (
        <Badge tone="warn" title="The last plan found changes made outside Tide">
          Drift
        </Badge>
      )}
      {ttl && (
        <Badge tone="info" title={`Destroyed at ${formatUtc(ttl)}`}>
          TTL
        </Badge>
      )}
      {(workspace.overrides ?? []).map((override, index) => (
        <Badge
          key={index}
          tone="info"
          title={[override.reason, override.until && `until ${formatUtc(override.until)}`]
            .filter(Boolean)
            .join(' ')}
        >
          Override{override.state ? `: keep ${override.state}` : ''}
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
