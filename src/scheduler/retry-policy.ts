/** Whether and when a failed run is tried again: exponential backoff with "equal jitter". */
import type { JobDefinition, WorkspacePolicy } from '../config/config-model.ts';
import { ORPHANED } from '../run/orphan-reaper.ts';
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

/**
 * Whether an orphaned run (its runner died) may simply run again. Yes for everything the engine does —
 * deploy, destroy, mode, drift plan, template job: the dead runner's engine is gone (the watchdog), its
 * credential no longer writes state (fencing), and every state it wrote before is kept, so the next
 * attempt plans against what was really created. No for script and command jobs: nothing records how far
 * their side effects got.
 */
function orphanRetryable(run: Run, job: JobDefinition | undefined): boolean {
  return run.action !== 'job' || job?.type === 'template';
}

/** Delay before the next attempt in ms, or null when the run is not retried. */
export function retryDelay({ run, policy, job, logTail, random }: RetryInput): number | null {
  // Timeouts and cancellations are what someone asked for, not failures.
  if (run.state !== 'failed') return null;
  const orphaned = run.reason === ORPHANED;
  if (orphaned && !orphanRetryable(run, job)) return null;
  const retries = job ? job.retries : policy.retries;
  if (run.attempt > retries) return null;
  // An orphan's log ends where its runner died: there is no engine error to match against retry_on.
  if (!job && !orphaned && !policy.retryOn.some((pattern) => new RegExp(pattern, 'i').test(logTail)))
    return null;
  const full = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** (run.attempt - 1));
  return Math.round(full / 2 + (random() * full) / 2);
}
