/**
 * Notifications as the daemon starts them: `notify` for emitters, the dispatcher subsystem, the
 * `config_error` announcements of reloads, and the test send of the API. One object, so the daemon adds
 * a few lines rather than the wiring of every part.
 */
import { randomUUID } from 'node:crypto';
import type { ConfigChange, EffectiveConfig } from '../config/effective-config.ts';
import { formatProblem } from '../config/config-loader.ts';
import { TideError } from '../errors/tide-error.ts';
import type { Logger } from '../log/logger.ts';
import type { GlobalSecrets } from '../secrets/global-secrets.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { deliver, type DeliverDeps, type DeliveryResult } from './deliver.ts';
import { NotificationDispatcher, type DispatcherMetrics } from './dispatcher.ts';
import { notifier, type Notify } from './notify.ts';
import { insertDelivery, listDeliveries, type DeliveryFilter, type DeliveryView } from './outbox.repo.ts';
import type { Page } from '../store/page.ts';
import { configErrorEvent } from './run-notifications.ts';

export interface NotificationsDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly config: () => EffectiveConfig;
  readonly secrets: Pick<GlobalSecrets, 'resolve'>;
  /** TIDE_PUBLIC_URL: run links in messages. */
  readonly publicUrl?: string | undefined;
  /** TIDE_NOTIFY_ALLOW_PRIVATE. */
  readonly allowPrivate: boolean;
  readonly holder: string;
  readonly metrics?: DispatcherMetrics;
}

/** Connect within 10 s, be done within 30 s: a receiver slower than that is retried later. */
const HTTP_TIMEOUTS = { connectTimeoutMs: 10_000, totalTimeoutMs: 30_000 };

export class Notifications {
  readonly notify: Notify;
  readonly dispatcher: NotificationDispatcher;
  readonly #deps: NotificationsDeps;
  readonly #deliver: DeliverDeps;

  constructor(deps: NotificationsDeps) {
    this.#deps = deps;
    this.notify = notifier(deps.config, deps.clock);
    this.#deliver = {
      secret: (name) => deps.secrets.resolve(name),
      smtp: () => deps.config().snapshot.notifications?.smtp,
      ...(deps.publicUrl && { publicUrl: deps.publicUrl }),
      http: { allowPrivate: deps.allowPrivate, ...HTTP_TIMEOUTS },
      now: () => deps.clock.now(),
    };
    this.dispatcher = new NotificationDispatcher({
      db: deps.db,
      clock: deps.clock,
      logger: deps.logger,
      holder: deps.holder,
      deliver: this.#deliver,
      ...(deps.metrics && { metrics: deps.metrics }),
    });
  }

  /**
   * `config_error` for each unit a reload rejected with a problem it did not have before (the watcher
   * reports `rejected` only then). Every replica reloads; the event id makes the first one's row the only one.
   */
  async configRejected(changes: readonly ConfigChange[], config: EffectiveConfig): Promise<void> {
    for (const change of changes) {
      if (change.change !== 'rejected') continue;
      const problems = config.snapshot.problems.filter(
        (p) => p.severity === 'error' && p.unit.kind === change.kind && p.unit.name === change.name,
      );
      if (problems.length === 0) continue;
      const event = configErrorEvent(
        { kind: change.kind, name: change.name, file: problems[0]!.file },
        problems.map(formatProblem),
        this.#deps.clock.now(),
      );
      await this.notify(this.#deps.db, event);
    }
  }

  /** The delivery log, newest first (GET /api/v1/notifications/deliveries). */
  deliveries(filter: DeliveryFilter): Promise<Page<DeliveryView>> {
    return listDeliveries(this.#deps.db, filter);
  }

  /**
   * Sends a `test` event to a named global target now, bypassing the outbox (nothing to retry: the caller
   * sees the answer), and logs the attempt like any other.
   */
  async test(
    target: string,
  ): Promise<DeliveryResult & { readonly target: string; readonly duration_ms: number }> {
    const definition = this.#deps.config().snapshot.notifications?.targets.get(target);
    if (!definition)
      throw new TideError('not_found', `notification target "${target}" is not in notifications.yaml`);
    const now = this.#deps.clock.now();
    const id = randomUUID();
    const started = performance.now();
    const result = await deliver(
      { type: 'test', id, occurred_at: now.toISOString(), target },
      definition,
      id,
      this.#deliver,
    );
    const duration = Math.round(performance.now() - started);
    await insertDelivery(this.#deps.db, {
      id,
      outbox_id: id,
      event_type: 'test',
      workspace: null,
      target,
      target_type: definition.type,
      attempt: 1,
      outcome: result.ok ? 'delivered' : 'failed',
      status_code: result.statusCode,
      error: result.error,
      duration_ms: duration,
      created_at: now.toISOString(),
    });
    this.#deps.metrics?.notificationsTotal.inc({
      target_type: definition.type,
      outcome: result.ok ? 'delivered' : 'failed',
    });
    return { ...result, target, duration_ms: duration };
  }
}
