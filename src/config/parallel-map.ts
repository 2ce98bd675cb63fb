import { setImmediate as nextTurn } from 'node:timers/promises';
import { SLICE_BUDGET_MS } from '../time/slices.ts';

/**
 * `items.map(work)` with at most `limit` calls in flight, results in the items' order. The loader reads
 * thousands of unit folders: one by one it waits on every read in turn, all at once it opens thousands of
 * files together.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  // Work that finishes at once (a read done synchronously) would otherwise chain through microtasks and
  // keep the event loop for the whole list: every SLICE_BUDGET_MS the workers let it have a turn. One turn
  // for all of them: each awaiting its own would give each a fresh budget in the same macrotask.
  let sliceStart = performance.now();
  let turn: Promise<void> | null = null;
  const worker = async () => {
    while (next < items.length) {
      if (performance.now() - sliceStart >= SLICE_BUDGET_MS) {
        turn ??= nextTurn().then(() => {
          sliceStart = performance.now();
          turn = null;
        });
        await turn;
        continue;
      }
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return results;
}
