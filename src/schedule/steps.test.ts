import { describe, expect, it } from 'vitest';
import { runSteps, runStepsInSlices, type Steps } from './steps.ts';

/** `count` units of work, recording how many were done; returns the count. */
function* counting(progress: { done: number }, count: number): Steps<number> {
  for (let unit = 0; unit < count; unit += 1) {
    progress.done += 1;
    yield;
  }
  return progress.done;
}

describe('steps', () => {
  it('runs to the end at once', () => {
    const progress = { done: 0 };
    expect(runSteps(counting(progress, 200))).toBe(200);
  });

  it('gives the event loop back between slices, so other callbacks run while it works', async () => {
    const progress = { done: 0 };
    const seen: number[] = [];
    const watch = () => {
      seen.push(progress.done);
      if (progress.done < 200) setImmediate(watch);
    };
    setImmediate(watch);
    expect(await runStepsInSlices(counting(progress, 200), 50)).toBe(200);
    // The watcher ran after each slice of 50, before the work was done.
    expect(seen.slice(0, 4)).toEqual([50, 100, 150, 200]);
  });
});
