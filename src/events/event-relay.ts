/**
 * Cluster-wide events on PostgreSQL (docs/ha.md, "Events across replicas"): every event published on this
 * replica's hub is sent with NOTIFY on the channel `tide_events`, and every event another replica sends
 * is emitted on this hub as if it had been published here. So a WebSocket client or a log follower on any
 * replica sees the runs of all, a runner wakes at once for a run queued elsewhere, and a cancel asked on
 * any replica reaches the runner executing the run at once (its lease watch follows run updates).
 *
 * Once each: a replica skips its own notifications (its listener hears them too), and an event that came
 * from another replica is not sent on. The supervised subsystem `event-relay` holds the LISTEN on a
 * dedicated connection; a lost connection fails it (readiness and tide_subsystem_up show it) and the
 * supervisor reconnects after a backoff of at most 5 s. Events sent meanwhile do not reach this replica:
 * what depends on them falls back on the store (the claim loop's poll, the cancel check at each lease
 * heartbeat, a log follower reading the chunks it missed), and a WebSocket client misses them.
 *
 * On SQLite there is one replica and no relay: the hub alone is the whole cluster.
 */
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Logger } from '../log/logger.ts';
import { listen, notify } from '../store/pg-notify.ts';
import type { Db } from '../store/schema.ts';
import type { Subsystem } from '../supervisor/subsystem.ts';
import { aborted } from '../supervisor/timers.ts';
import { EventAssembler, encodeEvent, relayedEvents, type RelayedEvent } from './event-envelope.ts';
import type { EventHub } from './event-hub.ts';

export const EVENT_CHANNEL = 'tide_events';

/** Notifications per NOTIFY statement: bounds one statement (≈ 8 MB) when a burst queued many. */
const MAX_BATCH = 1000;

export interface EventRelayDeps {
  readonly hub: EventHub;
  /** Where NOTIFY is sent from: the pool, as any query. */
  readonly db: Db;
  /** The database's URL, for the dedicated LISTEN connection. */
  readonly url: string;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
}

export class EventRelay implements Subsystem {
  readonly name = 'event-relay';
  /** While it reconnects this replica sees only its own events: retry within seconds. */
  readonly maxBackoffMs = 5_000;
  /** This replica's id in its notifications. */
  readonly origin = randomUUID();
  readonly #deps: EventRelayDeps;
  readonly #assembler = new EventAssembler();
  /** Events emitted here that came from other replicas, so not to be sent on. */
  readonly #outbox: string[] = [];
  #sending: Promise<void> | null = null;
  #publishing = false;

  constructor(deps: EventRelayDeps) {
    this.#deps = deps;
  }

  async start(signal: AbortSignal, up: () => void): Promise<void> {
    // Sending goes on while the listener reconnects: only this replica's view has a gap, not the others'.
    this.#publishUntil(signal);
    try {
      const listener = await listen(this.#deps.url, EVENT_CHANNEL, this.#onNotification);
      try {
        up();
        const lost = await Promise.race([listener.lost, aborted(signal).then(() => null)]);
        if (lost) throw lost;
      } finally {
        this.#assembler.reset();
        await listener.close();
      }
    } finally {
      // What was published while stopping still goes out, before the store closes.
      if (signal.aborted) await this.#sending;
    }
  }

  #publishUntil(signal: AbortSignal): void {
    if (this.#publishing) return;
    this.#publishing = true;
    const hub = this.#deps.hub as EventEmitter;
    const listeners = relayedEvents.map((event) => {
      const listener = (data: object): void => this.#publish({ event, data } as RelayedEvent);
      hub.on(event, listener);
      return () => hub.off(event, listener);
    });
    signal.addEventListener('abort', () => listeners.forEach((off) => off()), { once: true });
  }

  #publish(relayed: RelayedEvent): void {
    if (this.#deps.hub.isFromOtherReplica(relayed.data)) return;
    this.#outbox.push(...encodeEvent(this.origin, relayed));
    this.#sending ??= this.#send();
  }

  /** One statement at a time, so the notifications leave in the order the events were published. */
  async #send(): Promise<void> {
    while (this.#outbox.length > 0) {
      const batch = this.#outbox.splice(0, MAX_BATCH);
      await notify(this.#deps.db, EVENT_CHANNEL, batch).catch((error: unknown) =>
        this.#deps.logger.warn(
          { err: error, notifications: batch.length },
          'could not send events to the other replicas: they see these runs only through the store',
        ),
      );
    }
    this.#sending = null;
  }

  readonly #onNotification = (payload: string): void => {
    if (payload.startsWith(`${this.origin} `)) return;
    try {
      const { event } = this.#assembler.accept(payload);
      if (!event) return;
      this.#deps.hub.markFromOtherReplica(event.data);
      (this.#deps.hub as EventEmitter).emit(event.event, event.data);
    } catch (error) {
      // A listener's failure, or a notification that is not an event: neither may end the LISTEN.
      this.#deps.logger.error({ err: error }, 'an event from another replica could not be delivered');
    }
  };
}
