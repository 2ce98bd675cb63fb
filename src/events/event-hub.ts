/**
 * In-process fan-out of what happens: run state changes, log lines, workspace status, firings. The
 * executor and scheduler publish; live log followers, the event stream and the worker's wake-up listen.
 * In-process only: a client sees the events of the replica it is connected to (docs/api.md, Events);
 * other replicas' runs reach the worker through its poll of the queue.
 */
import { EventEmitter } from 'node:events';
import type { RunEvents } from '../run/run-events.ts';

export interface FiringEvent {
  readonly workspace: string;
  readonly schedule_key: string;
  readonly action: string;
  readonly scheduled_at: string;
  readonly outcome: string;
  readonly reason: string | null;
  readonly run_id: string | null;
}

/** Everything published: what run code publishes (src/run/run-events.ts) and the scheduler's firings. */
export interface TideEvents extends RunEvents {
  'firing.recorded': [FiringEvent];
}

export class EventHub extends EventEmitter<TideEvents> {
  constructor() {
    super();
    // Every log follower is a listener; the default warning at 10 would fire on a busy dashboard.
    this.setMaxListeners(0);
  }
}
