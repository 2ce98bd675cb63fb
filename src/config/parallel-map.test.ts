import { expect, it } from 'vitest';
import { mapWithConcurrency } from './parallel-map.ts';

it('keeps the items order and never has more than `limit` calls in flight', async () => {
  let inFlight = 0;
  let most = 0;
  const release: (() => void)[] = [];
  const work = async (item: number) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise<void>((resolve) => release.push(resolve));
    inFlight -= 1;
    return item * 2;
  };
  const done = mapWithConcurrency([1, 2, 3, 4, 5, 6, 7], 3, work);
  // Finish the calls in reverse order of their start: the results still follow the items.
  while (release.length > 0 || inFlight > 0) {
    await new Promise((resolve) => setImmediate(resolve));
    release
      .splice(0)
      .reverse()
      .forEach((resolve) => resolve());
  }
  expect(await done).toEqual([2, 4, 6, 8, 10, 12, 14]);
  expect(most).toBe(3);
});

it('answers an empty list without calling work, and rejects with the first failure', async () => {
  expect(await mapWithConcurrency([], 4, () => Promise.reject(new Error('never')))).toEqual([]);
  await expect(
    mapWithConcurrency([1, 2], 4, (item) =>
      item === 2 ? Promise.reject(new Error('bad 2')) : Promise.resolve(item),
    ),
  ).rejects.toThrow('bad 2');
});

it('gives the event loop a turn while work that finishes at once goes on', async () => {
  let turned = false;
  setImmediate(() => (turned = true));
  const seenTurn: boolean[] = [];
  await mapWithConcurrency(
    Array.from({ length: 20 }, (_, i) => i),
    4,
    async (item) => {
      // At least a millisecond of synchronous work each: 20 of them outlast any slice budget.
      const until = performance.now() + 1;
      while (performance.now() < until);
      seenTurn.push(turned);
      return item;
    },
  );
  expect(seenTurn[0]).toBe(false);
  expect(seenTurn.at(-1)).toBe(true);
});

it('shares one turn between its workers, so the event loop waits one budget, not one per worker', async () => {
  let sinceTurn = 0;
  let most = 0;
  let running = true;
  const tick = () => {
    sinceTurn = 0;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  await mapWithConcurrency(
    Array.from({ length: 60 }, (_, i) => i),
    8,
    async (item) => {
      const until = performance.now() + 1;
      while (performance.now() < until);
      most = Math.max(most, ++sinceTurn);
      return item;
    },
  );
  running = false;
  // Each item takes at least 1 ms: a 5 ms budget fits 5 of them, plus the one that overruns it.
  expect(most).toBeLessThanOrEqual(6);
});
