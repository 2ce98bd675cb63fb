/**
 * Long passes over every unit (a reload's assembly, the scheduler's rebuild) are written as generators that
 * `yield` where they may pause. `runAtOnce` drives one to the end synchronously (the first load, `tide
 * validate`); `runInSlices` gives the event loop a turn whenever a slice has used its budget, so a reload at
 * 10,000 workspaces never keeps a request waiting for the whole pass (decision 042). A pass builds its
 * result aside and returns it; the caller swaps it in at once, so readers see the old or the new, never a mix.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A pass that yields at its pause points and returns its result. */
export type Steps<T> = Generator<void, T, void>;

/**
 * How long a slice may run before the event loop gets a turn: 5 ms, a quarter of the 20 ms goal, because a
 * slice overruns its budget by up to one step and what follows the pass (the swap) runs in the same turn.
 */
export const SLICE_BUDGET_MS = 5;

/** Items handled between two pause points: reading the time at every item would cost more than the item. */
export const ITEMS_PER_STEP = 64;

export function runAtOnce<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

export interface SliceOptions {
  /** Default SLICE_BUDGET_MS; 0 pauses at every pause point (tests). */
  readonly budgetMs?: number;
  /** Gives the event loop its turn; default setImmediate, so pending I/O callbacks run first. */
  readonly pause?: () => Promise<unknown>;
}

export async function runInSlices<T>(steps: Steps<T>, options: SliceOptions = {}): Promise<T> {
  const budget = options.budgetMs ?? SLICE_BUDGET_MS;
  const pause = options.pause ?? (() => nextTurn());
  // performance.now measures work done, not an instant anything is decided on: no injected clock needed.
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart >= budget) {
      await pause();
      sliceStart = performance.now();
    }
  }
}

/** Calls `body` on every item, with a pause point every ITEMS_PER_STEP items. */
export function* eachStep<T>(items: Iterable<T>, body: (item: T) => void): Steps<void> {
  let count = 0;
  for (const item of items) {
    body(item);
    if (++count % ITEMS_PER_STEP === 0) yield;
  }
}

/** `items.map(body)` with a pause point after every item: for items that each cost a fraction of a slice. */
export function* mapSteps<T, R>(items: readonly T[], body: (item: T) => R): Steps<R[]> {
  const results: R[] = [];
  for (const item of items) {
    results.push(body(item));
    yield;
  }
  return results;
}

/**
 * `[...items].sort(compare)` with pause points: a bottom-up merge sort, stable like Array.prototype.sort, so
 * the order is the same. Sorting 10,000 file names with localeCompare alone takes longer than a slice.
 */
export function* sortSteps<T>(items: Iterable<T>, compare: (a: T, b: T) => number): Steps<T[]> {
  let from = [...items];
  let to = new Array<T>(from.length);
  for (let width = 1; width < from.length; width *= 2) {
    let steps = 0;
    for (let left = 0; left < from.length; left += 2 * width) {
      const middle = Math.min(left + width, from.length);
      const end = Math.min(left + 2 * width, from.length);
      let i = left;
      let j = middle;
      for (let k = left; k < end; k++) {
        to[k] = i < middle && (j >= end || compare(from[i]!, from[j]!) <= 0) ? from[i++]! : from[j++]!;
        if (++steps % ITEMS_PER_STEP === 0) yield;
      }
    }
    [from, to] = [to, from];
  }
  return from;
}
