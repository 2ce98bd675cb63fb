/**
 * PostgreSQL's LISTEN/NOTIFY, which carries events between replicas (src/events/event-relay.ts).
 *
 * What PostgreSQL guarantees and the relay builds on: a notification reaches every session listening on
 * its channel when the sending transaction commits, once; the notifications of one transaction arrive
 * in the order they were sent, and those of different transactions in commit order. A session that is not
 * listening (its connection was lost) misses what was sent meanwhile: nothing is queued for it.
 */
import { sql } from 'kysely';
import { connectionLost, openDedicatedConnection } from './dedicated-connection.ts';
import type { Db } from './schema.ts';

/** NOTIFY refuses a payload of 8000 bytes or more (PostgreSQL's default build). */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7999;

/**
 * Sends the payloads on `channel` in one statement, so in one transaction: they arrive in this order,
 * after everything committed before.
 */
export async function notify(db: Db, channel: string, payloads: readonly string[]): Promise<void> {
  // ORDER BY: PostgreSQL evaluates a volatile select list after the sort, so pg_notify runs in array order.
  await sql`select pg_notify(${channel}, payload)
            from unnest(${payloads}::text[]) with ordinality as sent(payload, n)
            order by n`.execute(db);
}

export interface ChannelListener {
  /** Resolves with the reason when the connection is lost; never after close(). */
  readonly lost: Promise<Error>;
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

/**
 * LISTENs on `channel` on a dedicated connection and hands every payload to `onPayload`, in the order
 * PostgreSQL delivers them. A lost connection is not reopened here: the caller (a supervised subsystem)
 * sees `lost` resolve and starts over, which shows in its health.
 */
export async function listen(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
): Promise<ChannelListener> {
  const client = await openDedicatedConnection(url, { applicationName: `tide ${channel}` });
  let closing = false;
  const lost = connectionLost(client, () => closing);
  client.on('notification', (message) => {
    if (message.channel === channel) onPayload(message.payload ?? '');
  });
  const close = async (): Promise<void> => {
    closing = true;
    await client.end();
  };
  try {
    await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
  } catch (error) {
    await close();
    throw error;
  }
  return { lost, close };
}
