/**
 * Schedule computations whose cost depends on the request (a preview over weeks of a per-minute cron) are
 * written as generators that yield after each unit of work. The CLI runs them to the end at once; the API
 * runs them in slices and gives the event loop back between slices, so health checks, lease heartbeats
 * and other requests are answered while a preview is being computed.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** A computation that yields after each unit of work and returns its result. */
export type Steps<T> = Generator<void, T, void>;

/** Units of work between two returns to the event loop: each is a few cron steps, well under 1 ms. */
export const STEPS_PER_SLICE = 32;

/** Runs `steps` to the end without yielding to the event loop. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const result = steps.next();
    if (result.done) return result.value;
  }
}

/** Runs `steps` to the end, returning to the event loop after every `perSlice` units of work. */
export async function runStepsInSlices<T>(steps: Steps<T>, perSlice = STEPS_PER_SLICE): Promise<T> {
  for (let done = 1; ; done += 1) {
    const result = steps.next();
    if (result.done) return result.value;
    if (done % perSlice === 0) await nextTurn();
  }
}
