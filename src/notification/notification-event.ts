/**
 * What Tide notifies about (docs/notifications.md): a closed union with stable type names, the names
 * used in config files, webhook bodies (`type`, `X-Tide-Event`) and the delivery log. An event carries
 * an `id` that is stable for the state change it describes (a run's id and final state, a firing's id),
 * so enqueueing it twice is a no-op (the outbox's dedupe key).
 */
import type { RunAction } from '../store/schema.ts';

export const notificationEventTypes = [
  'run_succeeded',
  'run_failed',
  'firing_missed',
  'firing_skipped',
  'ttl_reminder',
  'drift_detected',
  'config_error',
  'environment_switched',
  'backup_failed',
  'test',
] as const;
export type NotificationEventType = (typeof notificationEventTypes)[number];

interface EventBase<T extends NotificationEventType> {
  readonly type: T;
  /** Stable for the state change: the same change always yields the same id. */
  readonly id: string;
  /** ISO 8601 UTC. */
  readonly occurred_at: string;
  /** The workspace it is about; absent for cluster-wide events (backup_failed, test). */
  readonly workspace?: string;
}

export interface RunEvent<T extends 'run_succeeded' | 'run_failed'> extends EventBase<T> {
  readonly run_id: string;
  readonly action: RunAction;
  readonly state: string;
  readonly trigger: string;
  readonly mode?: string | null;
  readonly job?: string | null;
  /** The run's recorded reason (already redacted: runs never store secrets in it). */
  readonly reason?: string | null;
  readonly exit_code?: number | null;
}

export interface FiringEvent<T extends 'firing_missed' | 'firing_skipped'> extends EventBase<T> {
  readonly action: string;
  readonly schedule_key: string;
  readonly scheduled_at: string;
  readonly reason?: string | null;
}

export interface TtlReminderEvent extends EventBase<'ttl_reminder'> {
  /** `ttl` (a deployment's time to live ends) or `scheduled_destroy`. */
  readonly kind: 'ttl' | 'scheduled_destroy';
  readonly destroy_at: string;
  /** How long before the destroy this reminder goes out, in minutes. */
  readonly lead_minutes: number;
  /** The workspace's dashboard page, where a keep-up override extends it; absent without TIDE_PUBLIC_URL. */
  readonly extend_url?: string;
}

export interface DriftEvent extends EventBase<'drift_detected'> {
  readonly run_id?: string;
  readonly summary?: string;
  /** The resources the check's plan would change. */
  readonly addresses?: readonly string[];
}

export interface ConfigErrorEvent extends EventBase<'config_error'> {
  readonly file: string;
  readonly problems: readonly string[];
}

export interface EnvironmentSwitchedEvent extends EventBase<'environment_switched'> {
  readonly environment: string;
  readonly from?: string | null;
  readonly to: string;
}

export interface BackupFailedEvent extends EventBase<'backup_failed'> {
  readonly error: string;
}

export type TestEvent = EventBase<'test'> & { readonly target: string };

export type NotificationEvent =
  | RunEvent<'run_succeeded'>
  | RunEvent<'run_failed'>
  | FiringEvent<'firing_missed'>
  | FiringEvent<'firing_skipped'>
  | TtlReminderEvent
  | DriftEvent
  | ConfigErrorEvent
  | EnvironmentSwitchedEvent
  | BackupFailedEvent
  | TestEvent;

/**
 * The names a workspace's `notifications[].on` (and a global rule's `on`) may use: every event type, plus
 * the Provisioner-era names, which keep working as aliases (docs/notifications.md, "Event names").
 */
export const legacyEventNames = {
  deploy_succeeded: { type: 'run_succeeded', action: 'deploy' },
  deploy_failed: { type: 'run_failed', action: 'deploy' },
  destroy_succeeded: { type: 'run_succeeded', action: 'destroy' },
  destroy_failed: { type: 'run_failed', action: 'destroy' },
  reminder: { type: 'ttl_reminder' },
} as const satisfies Record<string, { type: NotificationEventType; action?: RunAction }>;

export const configEventNames = [
  ...notificationEventTypes.filter((type) => type !== 'test'),
  ...(Object.keys(legacyEventNames) as (keyof typeof legacyEventNames)[]),
] as const;
export type ConfigEventName = (typeof configEventNames)[number];

/**
 * Whether a rule's `on` entry selects the event. `actions` narrows run events to those actions (absent:
 * all); a legacy name carries its own action (`deploy_failed` = `run_failed` of a deploy).
 */
export function selects(name: string, event: NotificationEvent, actions?: readonly string[]): boolean {
  const legacy = (legacyEventNames as Record<string, { type: string; action?: string }>)[name];
  const type = legacy?.type ?? name;
  if (type !== event.type) return false;
  if (event.type !== 'run_succeeded' && event.type !== 'run_failed') return true;
  if (legacy?.action !== undefined && legacy.action !== event.action) return false;
  return actions === undefined || actions.length === 0 || actions.includes(event.action);
}
