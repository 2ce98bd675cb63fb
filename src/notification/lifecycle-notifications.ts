/**
 * The events of a workspace's lifecycle features, built where those features hand them over: reminders
 * before a destroy (src/workspace/reminder-loop.ts) and a new drift (src/drift/drift-notifier.ts). Both
 * are called inside the transaction that records the reminder or the drift, so the outbox row exists if
 * and only if that does; ids derive from what is announced, so an announcement is enqueued once.
 */
import type { DriftDetected, DriftNotifier } from '../drift/drift-notifier.ts';
import type { Reminder } from '../workspace/reminders.ts';
import type { ReminderSink } from '../workspace/reminder-loop.ts';
import type { DriftEvent, TtlReminderEvent } from './notification-event.ts';
import type { Notify } from './notify.ts';

export function reminderEvent(reminder: Reminder, now: Date): TtlReminderEvent {
  const destroyAt = reminder.destroyAt.toISOString();
  const leadMinutes = Math.round(reminder.leadMs / 60_000);
  return {
    type: 'ttl_reminder',
    id: `reminder:${reminder.workspace}:${destroyAt}:${leadMinutes}`,
    occurred_at: now.toISOString(),
    workspace: reminder.workspace,
    kind: reminder.kind === 'ttl' ? 'ttl' : 'scheduled_destroy',
    destroy_at: destroyAt,
    lead_minutes: leadMinutes,
    ...(reminder.extendUrl ? { extend_url: reminder.extendUrl } : {}),
  };
}

export function announceReminders(notify: Notify, clock: { now(): Date }): ReminderSink {
  return async (trx, reminder) => {
    await notify(trx, reminderEvent(reminder, clock.now()));
  };
}

export function driftEvent(drift: DriftDetected, now: Date): DriftEvent {
  const summary = drift.summary
    ? `${drift.summary.add} to add, ${drift.summary.change} to change, ${drift.summary.destroy} to destroy`
    : undefined;
  return {
    type: 'drift_detected',
    // One drift is found by one check run: its id names the drift.
    id: `drift:${drift.run_id}`,
    occurred_at: now.toISOString(),
    workspace: drift.workspace,
    run_id: drift.run_id,
    ...(summary ? { summary: `The plan of a drift check found changes: ${summary}.` } : {}),
    addresses: drift.addresses,
  };
}

export function announceDrifts(notify: Notify, clock: { now(): Date }): DriftNotifier {
  return async (trx, drift) => {
    await notify(trx, driftEvent(drift, clock.now()));
  };
}
