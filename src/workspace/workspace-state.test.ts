import { describe, expect, it } from 'vitest';
import {
  canApply,
  isBusy,
  workspaceEvents,
  workspaceObservedStatuses,
  workspaceTransitions,
  type WorkspaceEvent,
  type WorkspaceObservedStatus,
} from './workspace-state.ts';
import { transitionWorkspace, type WorkspaceMachineState } from './workspace-transition.ts';

type Status = WorkspaceObservedStatus;

/** Every legal edge, written out rather than read from the table, so a change to the table shows here. */
const edges: ReadonlyArray<
  readonly [from: WorkspaceMachineState, event: WorkspaceEvent, to: WorkspaceMachineState]
> = [
  ...(['destroyed', 'deployed', 'deploy_failed', 'destroy_failed'] as const).flatMap(
    (from) =>
      [
        [idle(from), 'deploy_started', busy('deploying', from)],
        [idle(from), 'destroy_started', busy('destroying', from)],
      ] as const,
  ),
  [busy('deploying', 'destroyed'), 'completed', idle('deployed')],
  [busy('deploying', 'destroyed'), 'failed', idle('deploy_failed')],
  [busy('deploying', 'destroyed'), 'canceled_before_apply', idle('destroyed')],
  [busy('deploying', 'deployed'), 'canceled_before_apply', idle('deployed')],
  [busy('deploying', 'deploy_failed'), 'canceled_before_apply', idle('deploy_failed')],
  [busy('deploying', 'destroy_failed'), 'canceled_before_apply', idle('destroy_failed')],
  [busy('destroying', 'deployed'), 'completed', idle('destroyed')],
  [busy('destroying', 'deployed'), 'failed', idle('destroy_failed')],
  [busy('destroying', 'deployed'), 'canceled_before_apply', idle('deployed')],
  [busy('destroying', 'destroyed'), 'canceled_before_apply', idle('destroyed')],
  [busy('destroying', 'deploy_failed'), 'canceled_before_apply', idle('deploy_failed')],
  [busy('destroying', 'destroy_failed'), 'canceled_before_apply', idle('destroy_failed')],
];

function idle(status: Status): WorkspaceMachineState {
  return { status, status_before_run: null };
}

function busy(status: Status, before: Status): WorkspaceMachineState {
  return { status, status_before_run: before };
}

describe('the workspace state machine', () => {
  for (const [from, event, to] of edges) {
    const was = from.status_before_run ? ` (from ${from.status_before_run})` : '';
    it(`goes from ${from.status}${was} on ${event} to ${to.status}`, () => {
      expect(transitionWorkspace('web', from, event)).toEqual(to);
    });
  }

  it('has no edge the list above does not name', () => {
    const named = new Set(edges.map(([from, event]) => `${from.status} ${event}`));
    const inTable = workspaceObservedStatuses.flatMap((status) =>
      workspaceEvents.filter((event) => canApply(status, event)).map((event) => `${status} ${event}`),
    );
    expect(inTable.sort()).toEqual([...named].sort());
  });

  it('refuses every other edge with illegal_transition, naming the workspace, the status and the event', () => {
    for (const status of workspaceObservedStatuses) {
      for (const event of workspaceEvents.filter(
        (event) => workspaceTransitions[status][event] === undefined,
      )) {
        expect(() => transitionWorkspace('web', idle(status), event)).toThrowError(
          expect.objectContaining({
            code: 'illegal_transition',
            details: { workspace: 'web', from: status, event },
          }),
        );
      }
    }
  });

  it('refuses to put back a status it never remembered', () => {
    expect(() => transitionWorkspace('web', idle('deploying'), 'canceled_before_apply')).toThrowError(
      expect.objectContaining({ code: 'illegal_transition' }),
    );
  });

  it('calls deploying and destroying busy, and nothing else', () => {
    expect(workspaceObservedStatuses.filter(isBusy)).toEqual(['deploying', 'destroying']);
  });
});
