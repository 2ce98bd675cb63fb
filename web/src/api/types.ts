/**
 * What the API answers. The aliases of `Schemas[…]` are the generated ones (schema.d.ts, from the
 * routes' declared response schemas); the rest are still written by hand from docs/api.md until their
 * routes declare a response schema.
 */
import type { components, operations } from './schema';

type Schemas = components['schemas'];
export type Workspace = Schemas['Workspace'];
export type Run = Schemas['Run'];
export type WorkspaceOverride = Schemas['Override'];
export type Drift = Schemas['Drift'];
export type WorkspaceTtl = Schemas['WorkspaceTtl'];
export type NextFiring = Schemas['NextFiring'];
export type Me = Schemas['Me'];
export type UiConfig = Schemas['UiConfig'];
export type Schedule = Schemas['Schedule'];
export type ScheduleFiring = Schemas['ScheduleFiring'];
export type TimelineSegment = Schemas['TimelineSegment'];
export type ScheduleOverride = Schemas['ScheduleOverride'];
export type LedgerFiring = Schemas['LedgerFiring'];
export type Job = Schemas['Job'];
export type Environment = Schemas['Environment'];
export type EnvironmentDetail = Schemas['EnvironmentDetail'];
export type EnvironmentSwitch = Schemas['EnvironmentSwitch'];
export type HealthCheck = Schemas['HealthCheck'];
export type Template = Schemas['Template'];
export type AuditEntry = Schemas['AuditEntry'];
export type User = Schemas['User'];
export type ApiToken = Schemas['ApiToken'];
export type CreatedToken = Schemas['CreatedToken'];
export type Savings = Schemas['Savings'];
export type Variables = Schemas['Variables'];

export type WorkspaceStatus =
  'destroyed' | 'deploying' | 'deployed' | 'destroying' | 'deploy_failed' | 'destroy_failed';

export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'timed_out' | 'skipped';

export type Role = 'viewer' | 'operator' | 'admin';

export interface Page<T> {
  readonly items: T[];
  readonly next_cursor: string | null;
}

export type OverrideKind = 'keep_up_until' | 'keep_down_until' | 'skip_next' | 'pause_until';

export interface LogChunk {
  readonly seq: number;
  readonly stream: 'stdout' | 'stderr' | 'system';
  readonly created_at: string;
  readonly content: string;
}

export type StateVersions = Schemas['StateVersions'];

/** Messages of the live event stream (docs/api.md#events). */
export type EventMessage =
  | { type: 'hello'; principal: { name: string; role: Role } }
  | { type: 'run.updated'; run: Run }
  | { type: 'run.log'; run_id: string; workspace: string; seq: number; stream: string; lines: string[] }
  | { type: 'workspace.status'; workspace: string; status: WorkspaceStatus; mode: string | null }
  | {
      type: 'firing.recorded';
      workspace: string;
      schedule_key: string;
      action: string;
      scheduled_at: string;
      outcome: string;
      reason: string | null;
      run_id: string | null;
    }
  | { type: 'subscribed' }
  | { type: 'error'; error: { code: string; message: string } };

export type Delivery = Schemas['Delivery'];

type DeliveriesQuery = NonNullable<operations['getNotificationsDeliveries']['parameters']['query']>;
/** What Tide notifies about (src/notification/notification-event.ts), as the delivery log filters it. */
export type NotificationEvent = NonNullable<DeliveriesQuery['event']>;
export type DeliveryOutcome = NonNullable<DeliveriesQuery['status']>;
