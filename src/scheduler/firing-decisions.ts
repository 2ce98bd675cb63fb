/**
 * What to do with firings that are due: a pure function of (definition, observed state, due firings, now),
 * so every outcome in the ledger can be explained and tested without a clock or a database.
 */
import { DEFAULT_MODE, type WorkspaceDefinition } from '../config/config-model.ts';
import type { Firing } from '../schedule/firings.ts';
import { formatDuration } from '../time/duration.ts';
import { driftCheckBlocked } from '../drift/drift-firing.ts';
import { overrideReason, skippingOverride, type Override } from '../workspace/override.ts';
import type { Observed } from './observed.ts';

export type FiringDecision =
  | {
      readonly firing: Firing;
      readonly outcome: 'fired';
      readonly trigger: 'schedule' | 'window' | 'ttl';
      readonly replace: boolean;
      /** Why, when not the schedule itself (a drift remediation, an override's end handing back): kept in the ledger. */
      readonly reason?: string;
    }
  | {
      readonly firing: Firing;
      readonly outcome: 'skipped' | 'missed' | 'superseded';
      readonly reason: string;
      /** A skip_next that this skip uses up, in the transaction that records it (decision 030). */
      readonly consumes?: string;
    };

export interface DecisionInput {
  /** Standalone jobs pass the default policy, no protection and no hash. */
  readonly definition: Pick<WorkspaceDefinition, 'policy' | 'protect' | 'contentHash'>;
  /** `enabled` in its config; the API's override (`observed.enabledOverride`) wins over it. */
  readonly enabled: boolean;
  readonly observed: Observed;
  /** Firings due now, in firing order (see src/schedule/firings.ts). */
  readonly due: readonly Firing[];
  readonly now: Date;
  /** When this scheduler started: firings before it fell in downtime. */
  readonly startedAt: Date;
  /** The workspace's overrides not removed or consumed (src/workspace/override.ts); none for jobs. */
  readonly overrides?: readonly Override[];
}

/** Firings compete within a group: the workspace's state changes, and each job and drift check on its own. */
function groupOf(firing: Firing): string {
  if (firing.action === 'deploy' || firing.action === 'destroy') return 'state';
  return firing.schedule_key;
}

const isWindowFiring = (firing: Firing) => firing.schedule_key.startsWith('uptime[');

export function decideFirings(input: DecisionInput): FiringDecision[] {
  const decisions: FiringDecision[] = [];
  const groups = new Map<string, Firing[]>();
  for (const firing of input.due) {
    if (firing.skip === 'calendar') {
      decisions.push({ firing, outcome: 'skipped', reason: 'calendar day' });
      continue;
    }
    groups.set(groupOf(firing), [...(groups.get(groupOf(firing)) ?? []), firing]);
  }
  for (const firings of groups.values()) {
    const latest = firings.at(-1)!;
    for (const older of firings.slice(0, -1)) {
      decisions.push(
        older.scheduled_at < input.startedAt
          ? {
              firing: older,
              outcome: 'missed',
              reason: `Tide was not running; superseded by the firing at ${latest.scheduled_at.toISOString()}`,
            }
          : {
              firing: older,
              outcome: 'superseded',
              reason: `superseded by ${latest.schedule_key} at ${latest.scheduled_at.toISOString()}`,
            },
      );
    }
    decisions.push(decideLatest(latest, input));
  }
  return decisions.sort((a, b) => a.firing.scheduled_at.getTime() - b.firing.scheduled_at.getTime());
}

function decideLatest(firing: Firing, input: DecisionInput): FiringDecision {
  const { definition, observed, now, startedAt } = input;
  const policy = definition.policy;
  const lateness = now.getTime() - firing.scheduled_at.getTime();
  const skip = (reason: string): FiringDecision => ({ firing, outcome: 'skipped', reason });
  if (lateness > policy.startingDeadlineMs) {
    return {
      firing,
      outcome: 'missed',
      reason: `${formatDuration(lateness)} late, past starting_deadline ${formatDuration(policy.startingDeadlineMs)}`,
    };
  }
  if (policy.catchUp === 'none' && firing.scheduled_at < startedAt) {
    return { firing, outcome: 'missed', reason: 'Tide was not running and catch_up is none' };
  }
  if (observed.enabledOverride === false) return skip('disabled through the API');
  if (observed.enabledOverride === null && !input.enabled)
    return skip('disabled in its config (enabled: false)');
  const override = skippingOverride(firing, input.overrides ?? []);
  if (override) {
    return {
      ...skip(overrideReason(override)),
      ...(override.kind === 'skip_next' ? { consumes: override.id } : {}),
    };
  }
  if (firing.action === 'destroy' && definition.protect)
    return skip('workspace is protected (protect: true)');
  if (firing.action === 'destroy' && observed.environment) return skip(observed.environment);
  const driftBlocked = firing.action === 'plan' ? driftCheckBlocked(observed) : null;
  if (driftBlocked) return skip(driftBlocked);
  if (!observed.activeRun && inDesiredState(firing, definition, observed))
    return skip('already in desired state');
  if (observed.activeRun && policy.concurrency === 'skip') {
    return skip(`concurrency policy skip: run ${observed.activeRun.id} is ${observed.activeRun.state}`);
  }
  return {
    firing,
    outcome: 'fired',
    trigger: isWindowFiring(firing) ? 'window' : 'schedule',
    replace: observed.activeRun !== null && policy.concurrency === 'replace',
  };
}

/** A deploy of what is already deployed (same mode, same config), or a destroy of nothing, changes nothing. */
function inDesiredState(
  firing: Firing,
  definition: DecisionInput['definition'],
  observed: Observed,
): boolean {
  if (firing.action === 'destroy') return observed.status === 'destroyed';
  if (firing.action === 'deploy') {
    return (
      observed.status === 'deployed' &&
      (observed.mode ?? DEFAULT_MODE) === (firing.mode ?? DEFAULT_MODE) &&
      observed.configHash === definition.contentHash
    );
  }
  return false;
}
