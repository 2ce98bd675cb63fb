/**
 * Keeps a running run's lease alive and notices when the run must stop: a cancel request (at once through
 * the hub when it was made in this process, at the next heartbeat when another replica made it) or a
 * lost lease (the reaper or another runner took the run over: this runner must stop writing).
 */
import type { EventHub } from '../../events/event-hub.ts';
import type { Logger } from '../../log/logger.ts';
import type { Db } from '../../store/schema.ts';
import type { Clock } from '../../time/clock.ts';
import { getRun, renewLease } from '../run.repo.ts';
import { isDone } from '../run-state.ts';
import type { Run } from '../run.ts';

/** Why a run stops before its steps are done. */
export type StopReason = 'canceled' | 'timed_out' | 'shutdown' | 'lease_lost';

export interface LeaseWatchOptions {
  readonly db: Db;
  readonly hub: EventHub;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly leaseMs: number;
  /** Default leaseMs / 3: two heartbeats may fail before the lease runs out. */
  readonly heartbeatMs?: number;
  readonly stop: (reason: StopReason) => void;
}

export interface LeaseWatch {
  /** Stops the heartbeat and the hub listener. */
  close(): void;
}

export function watchLease(run: Run, options: LeaseWatchOptions): LeaseWatch {
  const { db, hub, clock, logger, leaseMs, stop } = options;
  const owner = run.lease_owner ?? '';
  const onUpdate = (updated: Run): void => {
    if (updated.id !== run.id) return;
    if (isDone(updated.state)) stop('lease_lost');
    else if (updated.cancel_requested_at) stop('canceled');
  };
  hub.on('run.updated', onUpdate);
  if (run.cancel_requested_at) stop('canceled');

  let beating = false;
  const beat = async (): Promise<void> => {
    if (beating) return; // a slow database must not pile heartbeats up
    beating = true;
    try {
      if (!(await renewLease(db, run.id, owner, run.fencing_token, leaseMs, clock.now()))) {
        stop('lease_lost');
        return;
      }
      const current = await getRun(db, run.id);
      if (current?.cancel_requested_at) stop('canceled');
    } catch (error) {
      // The database may come back before the lease runs out; if it does not, the reaper takes over.
      logger.warn({ err: error }, 'lease heartbeat failed');
    } finally {
      beating = false;
    }
  };
  const timer = setInterval(() => void beat(), options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3)));
  return {
    close() {
      clearInterval(timer);
      hub.off('run.updated', onUpdate);
    },
  };
}
