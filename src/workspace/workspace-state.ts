/**
 * The workspace status state machine as data (SPEC §2). Its statuses are the store's column values
 * (src/store/schema.ts, a module with no runtime imports), so the store's row types need nothing from here.
 *
 * A status says what the infrastructure is known to be, not how the last run ended (the run says that):
 * `deploy_failed` / `destroy_failed` mean the change stopped after it may have touched resources, so they
 * may be partly there. A run stopped before its apply began changed nothing, so the workspace goes back to
 * the status it had when the run started.
 */
import type { WorkspaceObservedStatus } from '../store/schema.ts';

export { workspaceObservedStatuses, type WorkspaceObservedStatus } from '../store/schema.ts';

/**
 * What happens to a workspace. A deploy (or mode) run or a destroy run starts; it then ends one of three
 * ways: `completed` (succeeded), `failed` (failed, timed out, lost its runner, or canceled once its apply
 * had begun), or `canceled_before_apply` (canceled before anything was changed).
 */
export const workspaceEvents = [
  'deploy_started',
  'destroy_started',
  'completed',
  'failed',
  'canceled_before_apply',
] as const;
export type WorkspaceEvent = (typeof workspaceEvents)[number];

/** As a target: back to the status the workspace had when the run in progress started. */
export const PREVIOUS_STATUS = 'previous';

export type WorkspaceTarget = WorkspaceObservedStatus | typeof PREVIOUS_STATUS;

const idle = { deploy_started: 'deploying', destroy_started: 'destroying' } as const;

/** Every legal edge: status → event → next status. An event missing from a status's row is illegal there. */
export const workspaceTransitions: Readonly<
  Record<WorkspaceObservedStatus, Readonly<Partial<Record<WorkspaceEvent, WorkspaceTarget>>>>
> = {
  destroyed: idle,
  deployed: idle,
  deploy_failed: idle,
  destroy_failed: idle,
  deploying: { completed: 'deployed', failed: 'deploy_failed', canceled_before_apply: PREVIOUS_STATUS },
  destroying: { completed: 'destroyed', failed: 'destroy_failed', canceled_before_apply: PREVIOUS_STATUS },
};

export function canApply(status: WorkspaceObservedStatus, event: WorkspaceEvent): boolean {
  return workspaceTransitions[status][event] !== undefined;
}

/** A run is changing it (`deploying`, `destroying`): only that run's end moves it on. */
export function isBusy(status: WorkspaceObservedStatus): boolean {
  return canApply(status, 'completed');
}
