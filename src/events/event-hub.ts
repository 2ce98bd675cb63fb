/**
 * The fan-out of what happens: run state changes, log lines, workspace status, firings. The executor and
 * scheduler publish; live log followers, the event stream, the worker's wake-up and the lease watch
 * listen. On PostgreSQL the event relay (event-relay.ts) joins the hubs of all replicas: what one
 * publishes, the others' listeners get too (docs/api.md, Events). On SQLite it is in-process, and the
 * process is the whole cluster.
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
  /** Events the relay emitted here for another replica: what this replica did is everything else. */
  readonly #fromOtherReplicas = new WeakSet<object>();

  /** Marks an event as another replica's before the relay emits it (metrics count only their own). */
  markFromOtherReplica(data: object): void {
    this.#fromOtherReplicas.add(data);
  }

  isFromOtherReplica(data: object): boolean {
    return this.#fromOtherReplicas.has(data);
  }

  constructor() {
    super();
    // Every log follower is a listener; the default warning at 10 would fire on a busy dashboard.
    this.setMaxListeners(0);
  }
}
