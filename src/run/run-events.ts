/**
 * The events run code publishes and listens to, and the narrow bus it is handed. The daemon passes its
 * EventHub (src/events/event-hub.ts), whose event map extends this one, so run code does not import the
 * hub and the hub can carry runs without a folder cycle.
 */
import type { Run } from './run.ts';

export interface LogLinesEvent {
  readonly runId: string;
  readonly workspace: string;
  /** Sequence number of the stored chunk holding these lines. */
  readonly seq: number;
  readonly stream: 'stdout' | 'stderr' | 'system';
  readonly lines: readonly string[];
}

export interface WorkspaceStatusEvent {
  readonly workspace: string;
  readonly status: string;
  readonly mode: string | null;
  /** Absent when the change did not read it (a status set through the API). */
  readonly drifted?: boolean;
  /** Set when a drift check ended: what it found (tide_drift_checks_total counts it). */
  readonly drift_check?: 'drifted' | 'clean';
}

export interface RunEvents {
  /** A run was created, claimed, finished, or asked to cancel. */
  'run.updated': [Run];
  'run.log': [LogLinesEvent];
  'workspace.status': [WorkspaceStatusEvent];
}

/** The part of the hub run code uses: it publishes all three and follows only run updates. */
export interface RunEventBus {
  emit(event: 'run.updated', run: Run): boolean;
  emit(event: 'run.log', lines: LogLinesEvent): boolean;
  emit(event: 'workspace.status', status: WorkspaceStatusEvent): boolean;
  on(event: 'run.updated', listener: (run: Run) => void): unknown;
  off(event: 'run.updated', listener: (run: Run) => void): unknown;
}
