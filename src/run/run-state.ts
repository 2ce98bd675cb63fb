/**
 * The run state machine as data. A leaf module: it imports nothing, so anything (repos, services, the
 * dashboard's generated types) can depend on it without pulling in the store.
 */

export const runStates = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'timed_out'] as const;
export type RunState = (typeof runStates)[number];

export const runActions = ['deploy', 'destroy', 'plan', 'job', 'mode'] as const;
export type RunAction = (typeof runActions)[number];

export const runTriggers = [
  'schedule',
  'window',
  'manual',
  'api',
  'dependency',
  'retry',
  'ttl',
  'event',
] as const;
export type RunTrigger = (typeof runTriggers)[number];

/** Every legal edge. A state with no outgoing edges is terminal. */
export const runTransitions: Readonly<Record<RunState, readonly RunState[]>> = {
  queued: ['running', 'canceled'],
  running: ['succeeded', 'failed', 'canceled', 'timed_out'],
  succeeded: [],
  failed: [],
  canceled: [],
  timed_out: [],
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

export function isRunState(value: string): value is RunState {
  return (runStates as readonly string[]).includes(value);
}
