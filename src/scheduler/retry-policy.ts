/** Whether and when a failed run is tried again: exponential backoff with "equal jitter". */
import type { JobDefinition, WorkspacePolicy } from '../config/config-model.ts';
import type { Run } from '../run/run.ts';

export interface RetryInput {
  readonly run: Run;
  readonly policy: WorkspacePolicy;
  /** For job runs: jobs retry on any failure, up to their own `retries`. */
  readonly job?: JobDefinition;
  /** The end of the run's log, where the engine reports why it failed. */
  readonly logTail: string;
  readonly random: () => number;
}

/** Delay before the next attempt in ms, or null when the run is not retried. */
export function retryDelay({ run, policy, job, logTail, random }: RetryInput): number | null {
  // Timeouts, cancellations and orphans are not transient failures of the engine.
  if (run.state !== 'failed' || run.reason === 'orphaned') return null;
  const retries = job ? job.retries : policy.retries;
  if (run.attempt > retries) return null;
  if (!job && !policy.retryOn.some((pattern) => new RegExp(pattern, 'i').test(logTail))) return null;
  const full = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (run.attempt - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}
