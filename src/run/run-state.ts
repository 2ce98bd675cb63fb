/**
 * The run state machine as data. Its value lists are the store's column values (src/store/schema.ts, a
 * module with no runtime imports), so the store's row types need nothing from here.
 */
import type { RunState } from '../store/schema.ts';

export {
  runActions,
  runStates,
  runTriggers,
  type RunAction,
  type RunState,
  type RunTrigger,
} from '../store/schema.ts';

/** Every legal edge. A state with no outgoing edges is terminal. */
export const runTransitions: Readonly<Record<RunState, readonly RunState[]>> = {
  // `skipped`: a job of a chain whose dependency failed, timed out or was canceled (job-chain.repo.ts).
  queued: ['running', 'canceled', 'skipped'],
  running: ['succeeded', 'failed', 'canceled', 'timed_out'],
  succeeded: [],
  failed: [],
  canceled: [],
  timed_out: [],
  skipped: [],
};

export function canTransition(from: RunState, to: RunState): boolean {
  return runTransitions[from].includes(to);
}

/** Terminal: nothing leaves it. */
export function isDone(state: RunState): boolean {
  return runTransitions[state].length === 0;
}

/** Holds (or waits for) its workspace: queued or running. */
export function isActive(state: RunState): boolean {
  return !isDone(state);
}

export function isCancelable(state: RunState): boolean {
  return canTransition(state, 'canceled');
}
