/**
 * Timers behind an interface, so the loops that sleep (the scheduler, the supervisor's backoff, periodic
 * subsystems, the claim loop's poll) can be driven by a test without waiting on the wall clock.
 */
export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** Node refuses longer delays (it fires them at once): longer sleeps wake early and sleep again. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

export const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, Math.min(Math.max(ms, 0), MAX_DELAY_MS)),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal, timers: Timers): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      timers.clear(handle);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const handle = timers.set(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
