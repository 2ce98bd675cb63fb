/**
 * The events Tide's own state changes emit (docs/notifications.md), each built from the change and
 * written with it: a finished run, a firing recorded missed or skipped, an environment switch, a failed
 * scheduled backup, a config file rejected. Ids are derived from the change, so an event is stable
 * (and enqueued once) whichever replica records or re-records it.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../store/schema.ts';
import type { NotificationEvent } from './notification-event.ts';
import type { Notify } from './notify.ts';

interface FinishedRun {
  readonly id: string;
  readonly workspace: string;
  readonly job: string | null;
  readonly action: 'deploy' | 'destroy' | 'plan' | 'job' | 'mode';
  readonly mode: string | null;
  readonly state: string;
  readonly trigger: string;
  readonly reason: string | null;
  readonly exit_code: number | null;
  readonly finished_at: string | null;
}

/** `run_succeeded` / `run_failed` (a timeout is a failure); canceled and skipped runs are not news. */
export function runOutcomeEvent(run: FinishedRun, now: Date): NotificationEvent | null {
  const type =
    run.state === 'succeeded'
      ? 'run_succeeded'
      : run.state === 'failed' || run.state === 'timed_out'
        ? 'run_failed'
        : null;
  if (!type) return null;
  return {
    type,
    id: `${run.id}:${run.state}`,
    occurred_at: run.finished_at ?? now.toISOString(),
    workspace: run.workspace,
    run_id: run.id,
    action: run.action,
    state: run.state,
    trigger: run.trigger,
    mode: run.mode,
    job: run.job,
    reason: run.reason,
    exit_code: run.exit_code,
  };
}

/** The OutcomeAnnouncer of src/run/run-outcome.repo.ts. */
export function announceRunOutcome(notify: Notify, clock: { now(): Date }) {
  return async (trx: Db, run: FinishedRun): Promise<void> => {
    const event = runOutcomeEvent(run, clock.now());
    if (event) await notify(trx, event);
  };
}

/**
 * `config_error` for a unit whose files a reload rejected: the id hashes the problem text, so the same
 * problem is announced once (by whichever replica reloads first), and a different one again.
 */
export function configErrorEvent(
  unit: { kind: string; name: string; file: string },
  problems: readonly string[],
  now: Date,
): NotificationEvent {
  const digest = createHash('sha256')
    .update(`${unit.kind}\n${unit.name}\n${problems.join('\n')}`)
    .digest('hex');
  return {
    type: 'config_error',
    id: `${unit.kind}:${unit.name}:${digest.slice(0, 32)}`,
    occurred_at: now.toISOString(),
    ...(unit.kind === 'workspace' && { workspace: unit.name }),
    file: unit.file,
    problems,
  };
}

interface RecordedFiring {
  readonly id: number;
  readonly workspace: string;
  readonly schedule_key: string;
  readonly action: string;
  readonly scheduled_at: string;
  readonly outcome: string;
  readonly reason: string | null;
  readonly recorded_at: string;
}

/** `firing_missed` / `firing_skipped`; the ledger row's id makes the event's. */
export function firingEvent(firing: RecordedFiring): NotificationEvent | null {
  const type =
    firing.outcome === 'missed' ? 'firing_missed' : firing.outcome === 'skipped' ? 'firing_skipped' : null;
  if (!type) return null;
  return {
    type,
    id: `firing-${firing.id}`,
    occurred_at: firing.recorded_at,
    // Standalone jobs have no workspace: their firings go to the global rules only.
    ...(firing.workspace.startsWith('_') ? {} : { workspace: firing.workspace }),
    action: firing.action,
    schedule_key: firing.schedule_key,
    scheduled_at: firing.scheduled_at,
    reason: firing.reason,
  };
}

/** The scheduler's announceFiring. */
export function announceFiring(notify: Notify) {
  return async (trx: Db, firing: RecordedFiring): Promise<void> => {
    const event = firingEvent(firing);
    if (event) await notify(trx, event);
  };
}

/** The environment service's announceSwitch: `environment_switched`, id = the switch's. */
export function switchAnnouncer(notify: Notify) {
  return (
    trx: Db,
    change: { id: string; environment: string; from: string | null; to: string; at: Date },
  ): Promise<number> =>
    notify(trx, {
      type: 'environment_switched',
      id: change.id,
      occurred_at: change.at.toISOString(),
      // Routed by the workspace it now points at, so that workspace's rules hear of it.
      workspace: change.to,
      environment: change.environment,
      from: change.from,
      to: change.to,
    });
}

/** `backup_failed` for the scheduled backup due at `due` (one event per due backup, however many retries). */
export function backupFailedEvent(due: Date, error: unknown, now: Date): NotificationEvent {
  return {
    type: 'backup_failed',
    id: `backup-${due.toISOString()}`,
    occurred_at: now.toISOString(),
    error: error instanceof Error ? error.message : String(error),
  };
}
