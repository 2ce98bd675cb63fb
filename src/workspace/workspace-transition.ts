import { TideError } from '../errors/tide-error.ts';
import {
  isBusy,
  PREVIOUS_STATUS,
  workspaceTransitions,
  type WorkspaceEvent,
  type WorkspaceObservedStatus,
} from './workspace-state.ts';

/** The machine's state: the status, and while a run is changing it, the status it had before. */
export interface WorkspaceMachineState {
  readonly status: WorkspaceObservedStatus;
  /** Set exactly while the status is busy (`deploying`, `destroying`). */
  readonly status_before_run: WorkspaceObservedStatus | null;
}

/**
 * The one place a workspace's status changes on a run's account. Pure: the caller locks the row, calls
 * this, and saves the result. Throws `illegal_transition` on an edge the table does not have.
 */
export function transitionWorkspace(
  workspace: string,
  from: WorkspaceMachineState,
  event: WorkspaceEvent,
): WorkspaceMachineState {
  const target = workspaceTransitions[from.status][event];
  const to = target === PREVIOUS_STATUS ? from.status_before_run : target;
  if (to === undefined || to === null) {
    throw new TideError(
      'illegal_transition',
      `workspace ${workspace} cannot go from ${from.status} on ${event}`,
      { details: { workspace, from: from.status, event } },
    );
  }
  return { status: to, status_before_run: isBusy(to) ? from.status : null };
}
