/**
 * How a hub event travels between replicas as NOTIFY payloads (event-relay.ts), and how it is put back
 * together. NOTIFY refuses 8000 bytes or more, and a log chunk (up to 100 lines of any length) or a run
 * with its outputs can be larger: an event is split into parts, each a notification of its own:
 *
 *     <origin> <index> <count> <slice of the event's JSON>
 *
 * The JSON is ASCII (every other character escaped as \uXXXX), so a slice of N characters is N bytes,
 * valid text in any database encoding, and a cut may fall anywhere. One replica's notifications reach
 * every listener in the order it sent them, so its parts arrive in order; other replicas' parts may come
 * between them, hence the origin. The receiver gets the event exactly as published, with no read from
 * the store (docs/decisions/016-listen-notify-events.md weighs this against sending a reference).
 */
import type { TideEvents } from './event-hub.ts';

/** One event as it travels: its name and its one argument. */
export type RelayedEvent = {
  [E in keyof TideEvents]: { readonly event: E; readonly data: TideEvents[E][0] };
}[keyof TideEvents];

/** Every hub event, relayed; a new event in TideEvents fails to compile until it is listed here. */
const RELAYED: { readonly [E in keyof TideEvents]: true } = {
  'run.updated': true,
  'run.log': true,
  'workspace.status': true,
  'firing.recorded': true,
};
export const relayedEvents = Object.keys(RELAYED) as (keyof TideEvents)[];

/** Characters of JSON per part: with its header (≤ 52 bytes) a part stays under NOTIFY's 8000 bytes. */
export const PART_CHARS = 7900;

/** The notifications that carry `event` from the replica `origin` (an id without spaces). */
export function encodeEvent(origin: string, relayed: RelayedEvent): string[] {
  const json = JSON.stringify(relayed).replace(
    /[^\x20-\x7e]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const count = Math.ceil(json.length / PART_CHARS);
  return Array.from(
    { length: count },
    (_, index) => `${origin} ${index} ${count} ${json.slice(index * PART_CHARS, (index + 1) * PART_CHARS)}`,
  );
}

export interface Received {
  readonly origin: string;
  /** The whole event, once its last part arrived; null until then. */
  readonly event: RelayedEvent | null;
}

/**
 * Puts events back together from their parts. A part that does not continue its origin's event (a
 * sender whose statement failed after sending the first parts) drops the unfinished event and is taken
 * as the start of a new one if it is a first part.
 */
export class EventAssembler {
  readonly #partial = new Map<string, { readonly count: number; readonly slices: string[] }>();

  /** Reads one notification; throws on one that is not an event part. */
  accept(payload: string): Received {
    const match = /^(\S+) (\d+) (\d+) ([\s\S]*)$/.exec(payload);
    if (!match) throw new Error(`not an event notification: ${payload.slice(0, 80)}`);
    const [, origin, indexText, countText, slice] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    const index = Number(indexText);
    const count = Number(countText);
    const partial = this.#partial.get(origin);
    if (index === 0) this.#partial.set(origin, { count, slices: [slice] });
    else if (partial?.count === count && partial.slices.length === index) partial.slices.push(slice);
    else {
      this.#partial.delete(origin);
      return { origin, event: null };
    }
    const current = this.#partial.get(origin);
    if (!current || current.slices.length < count) return { origin, event: null };
    this.#partial.delete(origin);
    return { origin, event: parseEvent(current.slices.join('')) };
  }

  /** Forgets unfinished events (the listener reconnected: their remaining parts went by unseen). */
  reset(): void {
    this.#partial.clear();
  }
}

function parseEvent(json: string): RelayedEvent {
  const parsed = JSON.parse(json) as Partial<RelayedEvent> | null;
  if (!parsed || !(parsed.event && parsed.event in RELAYED) || typeof parsed.data !== 'object')
    throw new Error(`not a relayed event: ${json.slice(0, 80)}`);
  return parsed as RelayedEvent;
}
