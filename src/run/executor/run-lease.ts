/**
 * Keeps running runs' leases alive and notices when a run must stop: a cancel request (at once through
 * the hub, which on PostgreSQL also carries other replicas' cancels; at the next heartbeat if that event
 * was missed) or a lost lease (the reaper or another runner took the run over: this runner must stop writing).
 *
 * A runner has one LeaseKeeper, the supervised subsystem `lease-watch`: one heartbeat renews the lease of
 * every run it executes. A heartbeat that fails (the database is away) fails the subsystem, which shows
 * in readiness and is retried within a heartbeat; if the database stays away, the lease runs out and the
 * reaper takes over. So that the run's processes are gone by then, a runner that could not renew a lease
 * for all but one heartbeat of it stops the run itself (self-fencing: with the defaults, SIGINT at 20 s of
 * a 30 s lease, SIGKILL 10 s later, when the lease runs out).
 */
import type { RunEventBus } from '../run-events.ts';
import type { Logger } from '../../log/logger.ts';
import type { Db } from '../../store/schema.ts';
import { periodic, type Subsystem } from '../../supervisor/subsystem.ts';
import { Supervisor } from '../../supervisor/supervisor.ts';
import type { Timers } from '../../supervisor/timers.ts';
import type { Clock } from '../../time/clock.ts';
import { getRun, renewLease } from '../run.repo.ts';
import { isDone } from '../run-state.ts';
import type { Run } from '../run.ts';

/** Why a run stops before its steps are done. */
export type StopReason = 'canceled' | 'timed_out' | 'shutdown' | 'lease_lost';

export interface LeaseKeeperOptions {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly leaseMs: number;
  /** Default leaseMs / 3: two heartbeats may fail before the lease runs out. */
  readonly heartbeatMs?: number;
  /** The heartbeat's sleeps. Default: the real setTimeout. */
  readonly timers?: Timers;
}

interface Held {
  readonly run: Run;
  readonly stop: (reason: StopReason) => void;
  /** When the lease was last known renewed (the claim, or the last heartbeat that renewed it), in ms. */
  renewedAt: number;
}

export class LeaseKeeper implements Subsystem {
  readonly name = 'lease-watch';
  /** A restart must come within a heartbeat, or the leases run out while the keeper waits. */
  readonly maxBackoffMs: number;
  readonly #options: LeaseKeeperOptions;
  readonly #held = new Map<string, Held>();
  readonly #loop: Subsystem;

  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
    this.maxBackoffMs = options.heartbeatMs ?? Math.max(1, Math.floor(options.leaseMs / 3));
    this.#loop = periodic(this.name, this.maxBackoffMs, () => this.#beat(), { timers: options.timers });
  }

  start(signal: AbortSignal, up: () => void): Promise<void> {
    return this.#loop.start(signal, up);
  }

  /** Renews `run`'s lease at every heartbeat until the returned function is called. */
  hold(run: Run, stop: (reason: StopReason) => void): () => void {
    const expires = run.lease_expires_at ? Date.parse(run.lease_expires_at) : Number.NaN;
    const renewedAt = Number.isNaN(expires)
      ? this.#options.clock.now().getTime()
      : expires - this.#options.leaseMs;
    const held: Held = { run, stop, renewedAt };
    this.#held.set(run.id, held);
    return () => {
      if (this.#held.get(run.id) === held) this.#held.delete(run.id);
    };
  }

  /** Renews every held lease; the first failure fails the heartbeat, after the others were tried. */
  async #beat(): Promise<void> {
    const failures: unknown[] = [];
    for (const held of [...this.#held.values()]) {
      await this.#renew(held).catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw failures[0];
  }

  async #renew(held: Held): Promise<void> {
    const { run, stop } = held;
    const { db, clock, leaseMs, logger } = this.#options;
    const now = clock.now();
    let renewed: boolean;
    try {
      renewed = await renewLease(db, run.id, run.lease_owner ?? '', run.fencing_token, leaseMs, now);
    } catch (error) {
      if (now.getTime() - held.renewedAt >= leaseMs - this.maxBackoffMs) {
        logger.warn(
          { run_id: run.id, workspace: run.workspace, err: error },
          'cannot renew the lease before it runs out: stopping the run (its new owner records it)',
        );
        this.#held.delete(run.id);
        stop('lease_lost');
      }
      throw error;
    }
    if (!renewed) {
      this.#held.delete(run.id);
      stop('lease_lost');
      return;
    }
    held.renewedAt = now.getTime();
    const current = await getRun(db, run.id);
    if (current?.cancel_requested_at) stop('canceled');
  }
}

export interface LeaseWatchOptions extends LeaseKeeperOptions {
  readonly hub: RunEventBus;
  readonly stop: (reason: StopReason) => void;
  /** The runner's keeper. Without one (the executor used on its own), the run gets a keeper of its own. */
  readonly leases?: LeaseKeeper;
}

export interface LeaseWatch {
  /** Stops renewing and listening. */
  close(): void;
}

export function watchLease(run: Run, options: LeaseWatchOptions): LeaseWatch {
  const { hub, stop } = options;
  const onUpdate = (updated: Run): void => {
    if (updated.id !== run.id) return;
    if (isDone(updated.state)) stop('lease_lost');
    else if (updated.cancel_requested_at) stop('canceled');
  };
  hub.on('run.updated', onUpdate);
  if (run.cancel_requested_at) stop('canceled');
  const own = options.leases ? null : new Supervisor({ logger: options.logger });
  const keeper = options.leases ?? new LeaseKeeper(options);
  const release = keeper.hold(run, stop);
  void own?.add(keeper).start();
  return {
    close() {
      release();
      hub.off('run.updated', onUpdate);
      void own?.stop();
    },
  };
}
