/**
 * The supervised subsystem `notification-dispatcher` (decision 032): on every replica, claims due outbox
 * rows (leased, so each row has one deliverer at a time), delivers each, and records the attempt. A
 * retryable failure puts the row back with an exponential backoff plus jitter; after `maxAttempts`, or on
 * a permanent failure, the row is `failed`. A dispatcher that crashes mid-delivery leaves its lease to
 * expire and another one retries: delivery is at least once, and receivers dedupe on `X-Tide-Delivery`.
 */
import type { NotificationTarget } from '../config/config-model.ts';
import type { Logger } from '../log/logger.ts';
import type { Db } from '../store/schema.ts';
import type { Subsystem } from '../supervisor/subsystem.ts';
import { realTimers, sleep, type Timers } from '../supervisor/timers.ts';
import type { Clock } from '../time/clock.ts';
import { deliver, type DeliverDeps, type DeliveryResult } from './deliver.ts';
import type { NotificationEvent } from './notification-event.ts';
import { claimDue, recordAttempt, type OutboxRow } from './outbox.repo.ts';

export interface RetrySettings {
  /** Attempts in all, the first included (default 8). */
  readonly maxAttempts: number;
  /** Delay before the second attempt (default 10 s); doubled for each next one. */
  readonly baseDelayMs: number;
  /** Cap on one delay (default 1 h). */
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetrySettings = { maxAttempts: 8, baseDelayMs: 10_000, maxDelayMs: 3_600_000 };

/**
 * The delay after failed attempt number `attempt` (1-based): base · 2^(attempt-1), capped, plus up to
 * 20% jitter so receivers that come back are not hit by every replica's retries at the same instant.
 */
export function retryDelayMs(attempt: number, settings: RetrySettings, random: () => number): number {
  const delay = Math.min(settings.baseDelayMs * 2 ** (attempt - 1), settings.maxDelayMs);
  return Math.round(delay * (1 + 0.2 * random()));
}

export interface DispatcherMetrics {
  readonly notificationsTotal: { inc(labels: { target_type: string; outcome: string }): void };
}

export interface DispatcherDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  /** Unique per replica: the claim's holder. */
  readonly holder: string;
  readonly deliver: DeliverDeps;
  readonly retry?: RetrySettings;
  readonly random?: () => number;
  readonly metrics?: DispatcherMetrics;
  /** How long a claim lasts; longer than a delivery's total timeout (default 2 min). */
  readonly leaseMs?: number;
  /** Rows per claim (default 20). */
  readonly batchSize?: number;
  /** Sleep between polls when nothing is due (default 2 s). */
  readonly pollIntervalMs?: number;
  readonly timers?: Timers;
  /** For tests: the attempt as made (default deliver()). */
  readonly send?: typeof deliver;
}

export class NotificationDispatcher implements Subsystem {
  readonly name = 'notification-dispatcher';
  readonly #deps: DispatcherDeps;

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  async start(signal: AbortSignal, up: () => void): Promise<void> {
    const timers = this.#deps.timers ?? realTimers;
    while (!signal.aborted) {
      const handled = await this.dispatchDue();
      up();
      if (handled === 0) await sleep(this.#deps.pollIntervalMs ?? 2_000, signal, timers);
    }
  }

  /** One pass: claims what is due now and attempts each. Returns the number of attempts made. */
  async dispatchDue(): Promise<number> {
    const { db, clock, holder } = this.#deps;
    const rows = await claimDue(
      db,
      holder,
      clock.now(),
      this.#deps.leaseMs ?? 120_000,
      this.#deps.batchSize ?? 20,
    );
    for (const row of rows) await this.#attempt(row);
    return rows.length;
  }

  async #attempt(row: OutboxRow): Promise<DeliveryResult> {
    const { db, clock, holder, logger } = this.#deps;
    const retry = this.#deps.retry ?? DEFAULT_RETRY;
    const started = performance.now();
    const event = JSON.parse(row.payload) as NotificationEvent;
    const target = JSON.parse(row.destination) as NotificationTarget;
    const result = await (this.#deps.send ?? deliver)(event, target, row.id, this.#deps.deliver);
    const durationMs = performance.now() - started;
    const attempt = row.attempts + 1;
    const outcome = result.ok
      ? 'delivered'
      : result.retryable && attempt < retry.maxAttempts
        ? 'retry'
        : 'failed';
    const now = clock.now();
    const recorded = await recordAttempt(
      db,
      row,
      holder,
      {
        outcome,
        statusCode: result.statusCode,
        error: result.error,
        durationMs,
        ...(outcome === 'retry' && {
          nextAttemptAt: new Date(
            now.getTime() + retryDelayMs(attempt, retry, this.#deps.random ?? Math.random),
          ),
        }),
      },
      now,
    );
    if (!recorded) {
      logger.warn({ notification: row.id, target: row.target }, 'notification claim lost during delivery');
      return result;
    }
    this.#deps.metrics?.notificationsTotal.inc({ target_type: row.targetType, outcome });
    if (outcome === 'failed')
      logger.warn(
        {
          notification: row.id,
          target: row.target,
          event: row.eventType,
          attempts: attempt,
          error: result.error,
        },
        'notification not delivered',
      );
    return result;
  }
}
