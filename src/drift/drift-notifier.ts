/**
 * The port through which a new drift is announced. It is called inside the transaction that records the
 * check's outcome, so an announcement exists if and only if the drift it announces does (an outbox
 * insert fits; a network call does not). The daemon passes the notifications' announcer
 * (src/notification/lifecycle-notifications.ts).
 */
import type { Db } from '../store/schema.ts';
import type { DriftSummary } from '../workspace/workspace-status.repo.ts';

export interface DriftDetected {
  readonly workspace: string;
  readonly run_id: string;
  readonly summary: DriftSummary | null;
  readonly addresses: readonly string[];
}

export type DriftNotifier = (tx: Db, drift: DriftDetected) => Promise<void>;
