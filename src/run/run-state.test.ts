import { describe, expect, it } from 'vitest';
import { canTransition, isActive, isCancelable, isDone, runStates, type RunState } from './run-state.ts';
import { transitionRun } from './run-transition.ts';
import { TideError } from '../errors/tide-error.ts';

const legalEdges: ReadonlyArray<readonly [RunState, RunState]> = [
  ['queued', 'running'],
  ['queued', 'canceled'],
  ['queued', 'skipped'],
  ['running', 'succeeded'],
  ['running', 'failed'],
  ['running', 'canceled'],
  ['running', 'timed_out'],
];

const isLegal = (from: RunState, to: RunState): boolean =>
  legalEdges.some(([legalFrom, legalTo]) => legalFrom === from && legalTo === to);

const everyPair = runStates.flatMap((from) => runStates.map((to) => [from, to] as const));
const now = new Date('2025-03-03T07:00:00.000Z');

describe('the run state machine', () => {
  it.each(everyPair.filter(([from, to]) => isLegal(from, to)))('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(transitionRun({ id: 'r1', state: from, started_at: null, finished_at: null }, to, now).state).toBe(
      to,
    );
  });

  it.each(everyPair.filter(([from, to]) => !isLegal(from, to)))('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() =>
      transitionRun({ id: 'r1', state: from, started_at: null, finished_at: null }, to, now),
    ).toThrow(expect.objectContaining({ code: 'illegal_transition' }));
  });

  it('lets nothing leave a terminal state', () => {
    for (const state of ['succeeded', 'failed', 'canceled', 'timed_out', 'skipped'] as const) {
      expect(isDone(state)).toBe(true);
      expect(isActive(state)).toBe(false);
      expect(isCancelable(state)).toBe(false);
    }
  });

  it('counts queued and running runs as active and cancelable', () => {
    for (const state of ['queued', 'running'] as const) {
      expect(isActive(state)).toBe(true);
      expect(isDone(state)).toBe(false);
      expect(isCancelable(state)).toBe(true);
    }
  });
});

describe('transitionRun', () => {
  it('stamps started_at when a run starts running', () => {
    const change = transitionRun(
      { id: 'r1', state: 'queued', started_at: null, finished_at: null },
      'running',
      now,
    );
    expect(change).toEqual({ state: 'running', started_at: now.toISOString(), finished_at: null });
  });

  it('stamps finished_at and keeps started_at when a run finishes, with the recorded fields', () => {
    const startedAt = '2025-03-03T06:59:00.000Z';
    const change = transitionRun(
      { id: 'r1', state: 'running', started_at: startedAt, finished_at: null },
      'failed',
      now,
      {
        exit_code: 1,
        reason: 'apply failed',
      },
    );
    expect(change).toEqual({
      state: 'failed',
      started_at: startedAt,
      finished_at: now.toISOString(),
      exit_code: 1,
      reason: 'apply failed',
    });
  });

  it('stamps finished_at but not started_at when a queued run is canceled', () => {
    const change = transitionRun(
      { id: 'r1', state: 'queued', started_at: null, finished_at: null },
      'canceled',
      now,
    );
    expect(change).toMatchObject({ state: 'canceled', started_at: null, finished_at: now.toISOString() });
  });

  it('names both states when it refuses a transition', () => {
    let thrown: unknown;
    try {
      transitionRun({ id: 'r9', state: 'succeeded', started_at: null, finished_at: null }, 'running', now);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TideError);
    expect((thrown as TideError).message).toContain('succeeded');
    expect((thrown as TideError).message).toContain('running');
    expect((thrown as TideError).details).toEqual({ run_id: 'r9', from: 'succeeded', to: 'running' });
  });
});
