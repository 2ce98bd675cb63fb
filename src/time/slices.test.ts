import { describe, expect, it } from 'vitest';
import {
  eachStep,
  ITEMS_PER_STEP,
  mapSteps,
  runAtOnce,
  runInSlices,
  sortSteps,
  type Steps,
} from './slices.ts';

function* countTo(n: number): Steps<number> {
  let sum = 0;
  yield* eachStep(
    Array.from({ length: n }, (_, i) => i),
    (i) => (sum += i),
  );
  return sum;
}

describe('slices', () => {
  it('runs a pass to its end at once with no pause', () => {
    expect(runAtOnce(countTo(1000))).toBe(499_500);
  });

  it('pauses at every pause point when the budget is 0, and returns the same result', async () => {
    let pauses = 0;
    const result = await runInSlices(countTo(10 * ITEMS_PER_STEP), {
      budgetMs: 0,
      pause: () => Promise.resolve(pauses++),
    });
    expect(result).toBe(runAtOnce(countTo(10 * ITEMS_PER_STEP)));
    expect(pauses).toBe(10);
  });

  it('maps every item in order, with a pause point after each (items that cost a slice each)', async () => {
    let pauses = 0;
    const doubled = await runInSlices(
      mapSteps([1, 2, 3], (n) => n * 2),
      { budgetMs: 0, pause: () => Promise.resolve(pauses++) },
    );
    expect(doubled).toEqual([2, 4, 6]);
    expect(pauses).toBe(3);
  });

  it('lets other callbacks run between two slices', async () => {
    const order: string[] = [];
    const ticked = new Promise<void>((resolve) =>
      setImmediate(() => {
        order.push('other callback');
        resolve();
      }),
    );
    function* pass(): Steps<void> {
      order.push('first slice');
      yield;
      order.push('second slice');
    }
    await runInSlices(pass(), { budgetMs: 0 });
    await ticked;
    expect(order).toEqual(['first slice', 'other callback', 'second slice']);
  });

  it('sorts in steps into the order Array.prototype.sort gives, equal items kept in their order', () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ key: `k${(i * 7919) % 97}`, i }));
    const compare = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
    expect(runAtOnce(sortSteps(items, compare))).toEqual([...items].sort(compare));
    expect(runAtOnce(sortSteps([], compare))).toEqual([]);
    expect(runAtOnce(sortSteps([items[0]!], compare))).toEqual([items[0]]);
  });
});
