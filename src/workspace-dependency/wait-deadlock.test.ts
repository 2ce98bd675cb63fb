import { describe, expect, it } from 'vitest';
import { deadlockVictim, describeCycle, findWaitCycle, type ActiveQueueRun } from './wait-deadlock.ts';

const run = (
  id: string,
  lockKey: string,
  at: string,
  fields: Partial<ActiveQueueRun> = {},
): ActiveQueueRun => ({
  id,
  workspace: lockKey,
  action: 'deploy',
  lock_key: lockKey,
  state: 'queued',
  priority: 1,
  created_at: `2027-06-01T07:00:0${at}.000Z`,
  ...fields,
});

describe('deadlocks between dependency chains', () => {
  // a: a1 ahead of a2; b: b1 ahead of b2. a1 awaits b2 and b1 awaits a2: nothing can start.
  const runs = [run('a1', 'a', '1'), run('a2', 'a', '2'), run('b1', 'b', '1'), run('b2', 'b', '2')];
  const crossing = [
    { waiter: 'a1', awaited: 'b2' },
    { waiter: 'b1', awaited: 'a2' },
  ];

  it('finds the cycle of waits and queue places', () => {
    expect(findWaitCycle(runs, crossing)).toEqual(['a1', 'b2', 'b1', 'a2']);
  });

  it('gives way with the newest waiting run, naming the cycle', () => {
    const cycle = findWaitCycle(runs, crossing)!;
    expect(deadlockVictim(cycle, runs, crossing).id).toBe('b1');
    const later = runs.map((r) => (r.id === 'a1' ? { ...r, created_at: '2027-06-01T07:00:09.000Z' } : r));
    expect(deadlockVictim(cycle, later, crossing).id).toBe('a1');
    expect(describeCycle(['a1', 'b2'], runs)).toBe(
      'a deploy (run a1) → b deploy (run b2) → a deploy (run a1)',
    );
  });

  it('finds none when the chains can go on: waits one way, a running run, an awaited run that is done', () => {
    expect(findWaitCycle(runs, [{ waiter: 'a2', awaited: 'b2' }])).toBeNull();
    expect(findWaitCycle(runs, [{ waiter: 'a1', awaited: 'gone' }])).toBeNull();
    const running = [run('r', 'a', '0', { state: 'running' }), run('q', 'a', '1'), run('x', 'b', '1')];
    expect(findWaitCycle(running, [{ waiter: 'x', awaited: 'r' }])).toBeNull();
  });

  it('orders a queue by priority first: a manual run queued later is ahead of scheduled ones', () => {
    // a: m (manual, created later) is ahead of s. s awaits b1 and b1 awaits m: m can start, no cycle.
    const mixed = [run('s', 'a', '1'), run('m', 'a', '2', { priority: 0 }), run('b1', 'b', '1')];
    const waits = [
      { waiter: 's', awaited: 'b1' },
      { waiter: 'b1', awaited: 'm' },
    ];
    expect(findWaitCycle(mixed, waits)).toBeNull();
    // m awaits b1, and b1 awaits s, which is behind m: a cycle.
    expect(
      findWaitCycle(mixed, [
        { waiter: 'm', awaited: 'b1' },
        { waiter: 'b1', awaited: 's' },
      ]),
    ).toEqual(['m', 'b1', 's']);
  });
});
