/**
 * What a drift check does to its workspace (docs/drift.md), as pure functions: the drift columns a
 * finished check writes, what a successful deploy or destroy clears, and when a workspace *became*
 * drifted (the moment to notify, once per drift rather than on every check that finds it again).
 */
import type { DriftFields, DriftSummary, WorkspaceStatus } from '../workspace/workspace-status.repo.ts';

/** What a drift check's plan found: `-detailed-exitcode` 2 is drift, 0 is none. */
export interface DriftCheck {
  readonly runId: string;
  readonly drifted: boolean;
  /** From `show -json` of the plan file; null when a custom plan command wrote none. */
  readonly summary: DriftSummary | null;
  readonly addresses: readonly string[];
  /** When the check ended. */
  readonly at: Date;
}

/**
 * The drift columns after a check, or null when the check says nothing: a workspace that is not deployed
 * has nothing to drift from (a plan of a destroyed workspace "adds" everything), so a manual plan there
 * leaves its drift status alone. `drift_since` keeps the instant the drift began while checks keep
 * finding it: that instant keys the drift's one remediation.
 */
export function driftAfterCheck(current: WorkspaceStatus | null, check: DriftCheck): DriftFields | null {
  if (current?.status !== 'deployed') return null;
  const at = check.at.toISOString();
  if (!check.drifted) return { ...noDrift, drift_checked_at: at, drift_run_id: check.runId };
  return {
    drifted: true,
    drift_checked_at: at,
    drift_since: current.drifted && current.drift_since ? current.drift_since : at,
    drift_run_id: check.runId,
    drift_summary: check.summary,
    drift_addresses: [...check.addresses],
  };
}

/** A successful deploy (it applied the code, drift included) or destroy leaves nothing drifted. */
export const noDrift = Object.freeze({
  drifted: false,
  drift_since: null,
  drift_summary: null,
  drift_addresses: [] as string[],
}) satisfies Partial<DriftFields>;

/** True when this change made the workspace drifted: the one time a drift is announced. */
export function becameDrifted(before: WorkspaceStatus | null, after: WorkspaceStatus | null): boolean {
  return after?.drifted === true && before?.drifted !== true;
}
