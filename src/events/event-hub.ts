/**
 * In-process fan-out of what happens: run state changes, log lines, workspace status, firings. The
 * executor and scheduler publish; live log followers, the event stream and the worker's wake-up listen.
 * In-process only: a client sees the events of the replica it is connected to (docs/api.md, Events);
 * other replicas' runs reach the worker through its poll of the queue.
 */
import { EventEmitter } from 'node:events';
import type { Run } from '../run/run.ts';

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
}

export interface FiringEvent {
  readonly workspace: string;
  readonly schedule_key: string;
  readonly action: string;
  readonly scheduled_at: string;
  readonly outcome: string;
  readonly reason: string | null;
  readonly run_id: string | null;
}

export interface TideEvents {
  /** A run was created, claimed, finished, or asked to cancel. */
  'run.updated': [Run];
  'run.log': [LogLinesEvent];
  'workspace.status': [WorkspaceStatusEvent];
  'firing.recorded': [FiringEvent];
}

export class EventHub extends EventEmitter<TideEvents> {
  constructor() {
    super();
    // Every log follower is a listener; the default warning at 10 would fire on a busy dashboard.
    this.setMaxListeners(0);
  }
}
