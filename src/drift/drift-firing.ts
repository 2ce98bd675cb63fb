/**
 * When a drift check may run (docs/drift.md), pure: a plan compares the code with what is deployed, so a
 * workspace that is not deployed has nothing to compare (its plan would "add" everything), and one a run
 * holds is changing under the plan. Such a firing is skipped, with the reason in the ledger.
 */
export interface DriftCheckSituation {
  readonly status: string;
  readonly activeRun: { readonly id: string; readonly state: string; readonly action: string } | null;
}

/** Why a drift check cannot run now, or null when it can. */
export function driftCheckBlocked(situation: DriftCheckSituation): string | null {
  const { activeRun, status } = situation;
  if (activeRun) return `run active: ${activeRun.action} run ${activeRun.id} is ${activeRun.state}`;
  if (status !== 'deployed') return `not deployed (status ${status})`;
  return null;
}
