/**
 * Level-triggered healing of uptime workspaces (run at start, on an interval and after every run): if the
 * observed state is older than the current desired period, an edge was missed (Tide down, a lock, an
 * outage) and the workspace is brought to the desired state. A change made during the period — a manual
 * deploy, a failed deploy whose retries ran out — is respected, except that `enforce: true` takes a manual
 * deploy outside the windows down.
 */
import type { WorkspaceDefinition } from '../config/config-model.ts';
import type { Calendar } from '../schedule/schedule-model.ts';
import { desiredStateAt } from '../schedule/desired-state.ts';
import { adjustDesiredState, type Override } from '../workspace/override.ts';
import type { Observed } from './observed.ts';

export interface ReconcileAction {
  readonly action: 'deploy' | 'destroy';
  readonly mode?: string;
  readonly reason: string;
  /**
   * The instant this heal answers: the start of the desired period (a missed edge) or the observed change
   * it undoes (enforce). It keys the heal in the ledger, so each is done once however many replicas run.
   */
  readonly at: Date;
}

export function reconcileWindow(
  definition: WorkspaceDefinition,
  calendars: ReadonlyMap<string, Calendar>,
  observed: Observed,
  now: Date,
  overrides: readonly Override[] = [],
): ReconcileAction | null {
  const enabled = observed.enabledOverride ?? definition.enabled;
  if (definition.uptime.length === 0 || observed.activeRun || !enabled) return null;
  // Overrides adjust what is desired (decision 030): a pause leaves the workspace alone.
  const adjusted = adjustDesiredState(desiredStateAt(definition, calendars, now), overrides, now);
  if (adjusted.paused) return null;
  const desired = adjusted.desired;
  const stale = !observed.statusChangedAt || !desired.since || observed.statusChangedAt < desired.since;
  if (desired.state === 'up') {
    const inState = observed.status === 'deployed' && observed.mode === (desired.mode ?? null);
    if (inState || !stale) return null;
    return {
      action: 'deploy',
      ...(desired.mode === undefined ? {} : { mode: desired.mode }),
      reason: `reconcile: ${desired.reason}`,
      at: desired.since ?? now,
    };
  }
  if (desired.state === 'down' && !definition.protect && !observed.environment) {
    const up = observed.status === 'deployed' || observed.status === 'deploy_failed';
    if (up && (stale || (definition.enforce && observed.status === 'deployed'))) {
      return {
        action: 'destroy',
        reason: `reconcile: ${desired.reason}${stale ? '' : ' (enforce)'}`,
        at: stale ? (desired.since ?? now) : observed.statusChangedAt!,
      };
    }
  }
  return null;
}
