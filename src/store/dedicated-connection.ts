/**
 * A PostgreSQL connection of its own, outside the pool, for what lives as long as a session: a LISTEN
 * (pg-notify.ts) or a session advisory lock (advisory-lock.ts). A pooled connection would be handed to
 * other queries and recycled, taking the LISTEN or the lock with it.
 */
import type pg from 'pg';

export interface DedicatedConnectionOptions {
  /** Shown in pg_stat_activity, so an operator can tell Tide's long-lived sessions apart. */
  readonly applicationName: string;
  /** Default 10 s, as the pool's. */
  readonly connectTimeoutMs?: number;
}

/**
 * The server probes an idle client after 10 s, then every 5 s, and drops it after 3 unanswered probes: a
 * replica whose host vanished (no FIN, no RST) loses its session, and so its locks, within about 25 s
 * instead of the kernel's default of over two hours. Ignored on Unix-socket connections, which have no
 * such failure.
 */
const SERVER_KEEPALIVES = '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3';

/** A connected client; end it with `client.end()`. */
export async function openDedicatedConnection(
  url: string,
  options: DedicatedConnectionOptions,
): Promise<pg.Client> {
  // Loaded on first use: only PostgreSQL replicas get here, and a SQLite server never loads the driver.
  const { default: pgDriver } = await import('pg');
  const client = new pgDriver.Client({
    connectionString: url,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // The client side of the same: a server that vanished is noticed, and the session given up.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    options: SERVER_KEEPALIVES,
  });
  await client.connect();
  return client;
}

/** Resolves when the connection errors or ends, unless `closing()` says the end was asked for. */
export function connectionLost(client: pg.Client, closing: () => boolean): Promise<Error> {
  return new Promise((resolve) => {
    // Without an 'error' listener a lost connection would crash the process.
    client.on('error', (error) => {
      if (!closing()) resolve(error);
    });
    client.on('end', () => {
      if (!closing()) resolve(new Error('the database connection ended'));
    });
  });
}
