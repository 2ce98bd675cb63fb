/**
 * The reminder loop (docs/ttl.md): before each TTL's end and each scheduled destroy (an edge or a
 * window's end) it hands a reminder per lead to the sink, once: each is recorded (reminders_sent, keyed
 * workspace, destroy instant, lead) in the transaction that hands it over, so a sink that fails leaves it
 * to the next pass and a second replica or a restart never sends it again. One replica at a time; it wakes
 * at the next reminder instant, when told a run ended (a deploy may have set a TTL), and on an interval.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { Logger } from '../log/logger.ts';
import { upcomingFirings } from '../schedule/firings.ts';
import { inTransaction } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import type { Subsystem } from '../supervisor/subsystem.ts';
import { MAX_DELAY_MS, realTimers, type Timers } from '../supervisor/timers.ts';
import type { Clock } from '../time/clock.ts';
import {
  DEFAULT_REMINDER_LEADS_MS,
  dueReminders,
  extendUrl,
  reminderLeads,
  type Reminder,
  type UpcomingDestroy,
} from './reminders.ts';
import { listTtls, recordReminder, sentLeads } from './ttl.repo.ts';

/**
 * Where reminders go, inside the transaction that records them (the notification outbox, a log line).
 * Throwing rolls the record back: the reminder is handed over again at the next pass.
 */
export type ReminderSink = (trx: Db, reminder: Reminder) => Promise<void>;

/** The part of the event hub the loop listens to: a run that ended may have set or cleared a TTL. */
export interface RunEndings {
  on(event: 'run.updated', listener: (run: { readonly state: string }) => void): unknown;
  off(event: 'run.updated', listener: (run: { readonly state: string }) => void): unknown;
}

export interface ReminderLoopDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly config: () => EffectiveConfig;
  readonly logger: Logger;
  readonly sink: ReminderSink;
  readonly hub?: RunEndings;
  /** TIDE_REMINDER_LEADS (default 2 h and 15 min). */
  readonly leadsMs?: readonly number[];
  /** TIDE_PUBLIC_URL: reminders link to the workspace's dashboard page there. */
  readonly publicUrl?: string | undefined;
  /** How often new TTLs and schedule changes are picked up without being told (default 60 s). */
  readonly intervalMs?: number;
  readonly timers?: Timers;
}

const WORKSPACES_PER_SLICE = 100;
const endedStates = new Set(['succeeded', 'failed', 'canceled', 'timed_out', 'skipped']);

export class ReminderLoop implements Subsystem {
  readonly name = 'reminders';
  readonly oncePerCluster = true;
  readonly #deps: ReminderLoopDeps;
  #woken = false;
  #ring: (() => void) | null = null;

  constructor(deps: ReminderLoopDeps) {
    this.#deps = deps;
  }

  async start(signal: AbortSignal, up: () => void): Promise<void> {
    this.#deps.hub?.on('run.updated', this.#onRun);
    try {
      let next = await this.pass();
      up();
      while (!signal.aborted) {
        await this.#sleep(signal, next);
        if (!signal.aborted) next = await this.pass();
      }
    } finally {
      this.#deps.hub?.off('run.updated', this.#onRun);
    }
  }

  /** Sends what is due now; returns the next reminder instant, or null. */
  async pass(): Promise<Date | null> {
    this.#woken = false;
    const { db, clock, logger, sink } = this.#deps;
    const now = clock.now();
    const config = this.#deps.config();
    const globalLeads = this.#deps.leadsMs ?? DEFAULT_REMINDER_LEADS_MS;
    let next: Date | null = null;
    for (const destroy of await this.#upcoming(config, now, globalLeads)) {
      const definition = config.workspaces.get(destroy.workspace)?.definition;
      const leadsMs = reminderLeads(definition?.notifications ?? [], globalLeads);
      const plan = dueReminders({
        destroyAt: destroy.destroyAt,
        leadsMs,
        sentLeadsMs: await sentLeads(db, destroy.workspace, destroy.destroyAt),
        now,
      });
      if (plan.nextAt && (!next || plan.nextAt < next)) next = plan.nextAt;
      for (const leadMs of plan.dueLeadsMs) {
        const reminder: Reminder = {
          ...destroy,
          leadMs,
          extendUrl: extendUrl(this.#deps.publicUrl, destroy.workspace),
        };
        const sent = await inTransaction(db, async (trx) => {
          if (!(await recordReminder(trx, reminder, now))) return false;
          await sink(trx, reminder);
          return true;
        });
        if (sent)
          logger.debug(
            { workspace: destroy.workspace, destroy_at: destroy.destroyAt.toISOString(), lead_ms: leadMs },
            'reminder recorded',
          );
      }
    }
    return next;
  }

  /** TTL ends, and each workspace's next scheduled destroy within its longest lead. */
  async #upcoming(
    config: EffectiveConfig,
    now: Date,
    globalLeads: readonly number[],
  ): Promise<UpcomingDestroy[]> {
    const destroys: UpcomingDestroy[] = (await listTtls(this.#deps.db))
      .filter((ttl) => ttl.destroyAt > now)
      .map((ttl) => ({ workspace: ttl.workspace, destroyAt: ttl.destroyAt, kind: 'ttl' }));
    let looked = 0;
    for (const { definition } of config.workspaces.values()) {
      // A destroy the scheduler would skip (disabled in config, protected) is not announced.
      if (!definition || !definition.enabled || definition.protect) continue;
      // 10,000 workspaces' schedules in one go would hold up the API (decision 039).
      if (++looked % WORKSPACES_PER_SLICE === 0) await nextTurn();
      const horizon = Math.max(0, ...reminderLeads(definition.notifications, globalLeads));
      const until = new Date(now.getTime() + horizon);
      const destroy = upcomingFirings(definition, config.snapshot.calendars, {
        after: now,
        until,
        limit: 50,
      }).find((firing) => firing.action === 'destroy' && firing.skip === undefined);
      if (destroy)
        destroys.push({ workspace: definition.name, destroyAt: destroy.scheduled_at, kind: 'schedule' });
    }
    return destroys;
  }

  readonly #onRun = (run: { readonly state: string }): void => {
    if (!endedStates.has(run.state)) return;
    this.#woken = true;
    this.#ring?.();
  };

  #sleep(signal: AbortSignal, until: Date | null): Promise<void> {
    const timers = this.#deps.timers ?? realTimers;
    const interval = this.#deps.intervalMs ?? 60_000;
    const untilMs = until ? until.getTime() - this.#deps.clock.now().getTime() : interval;
    const delay = Math.min(Math.max(Math.min(untilMs, interval), 0), MAX_DELAY_MS);
    return new Promise((resolve) => {
      if (this.#woken || signal.aborted) return resolve();
      const ring = (): void => {
        this.#ring = null;
        timers.clear(timer);
        signal.removeEventListener('abort', ring);
        resolve();
      };
      const timer = timers.set(ring, delay);
      signal.addEventListener('abort', ring, { once: true });
      this.#ring = ring;
    });
  }
}
