import type { WorkspaceObservedStatus } from '../store/schema.ts';

/** What the scheduler knows of a workspace's actual situation when it decides. */
export interface Observed {
  readonly status: WorkspaceObservedStatus;
  readonly mode: string | null;
  /** Content hash of the configuration last deployed successfully. */
  readonly configHash: string | null;
  /** When `status` last changed. */
  readonly statusChangedAt: Date | null;
  /** Set by the API's enable/disable; null = as configured. */
  readonly enabledOverride: boolean | null;
  /** The run holding or waiting for the workspace, if any. */
  readonly activeRun: {
    readonly id: string;
    readonly state: 'queued' | 'running';
    readonly action: string;
  } | null;
  /**
   * Why an environment holds the workspace (src/environment/): its destroys are skipped. Absent or null
   * when none does.
   */
  readonly environment?: string | null;
  /** The last drift check found drift, since `driftSince` (docs/drift.md). Absent: not drifted. */
  readonly drifted?: boolean;
  readonly driftSince?: Date | null;
}

export const neverObserved: Observed = Object.freeze({
  status: 'destroyed',
  mode: null,
  configHash: null,
  statusChangedAt: null,
  enabledOverride: null,
  activeRun: null,
});
