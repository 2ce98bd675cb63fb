/**
 * For tests of supervised loops: timers that fire only when the test says so, and a wait for a
 * subsystem's next health change. Nothing here sleeps or reads the wall clock.
 */
import type { SubsystemHealth, SubsystemState, Supervisor } from './supervisor.ts';
import type { Timers } from './timers.ts';

export class TestTimers implements Timers {
  readonly #pending = new Map<number, { readonly callback: () => void; readonly ms: number }>();
  #nextId = 1;
  #waiters: (() => void)[] = [];

  set(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#pending.set(id, { callback, ms });
    for (const wake of this.#waiters.splice(0)) wake();
    return id;
  }

  clear(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** Delays of the timers armed and neither fired nor cleared, oldest first. */
  get pending(): number[] {
    return [...this.#pending.values()].map((timer) => timer.ms);
  }

  /** Resolves once a timer is armed (at once if one is). */
  async armed(): Promise<void> {
    while (this.#pending.size === 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Fires the timers armed now, oldest first (not those their callbacks arm); returns their delays. */
  fire(): number[] {
    const due = [...this.#pending.values()];
    this.#pending.clear();
    for (const timer of due) timer.callback();
    return due.map((timer) => timer.ms);
  }
}

/** Resolves with the subsystem's health the next time it enters `state`. */
export function nextHealth(
  supervisor: Supervisor,
  name: string,
  state: SubsystemState,
): Promise<SubsystemHealth> {
  return new Promise((resolve) => {
    const listener = (health: SubsystemHealth): void => {
      if (health.name !== name || health.state !== state) return;
      supervisor.off('change', listener);
      resolve(health);
    };
    supervisor.on('change', listener);
  });
}
