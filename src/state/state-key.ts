/**
 * Which state a run reads and writes. A workspace's runs share the workspace's state; a template job
 * applies its template as a small stack of its own, so it has its own state, per scope and job.
 */
import type { RunAction } from '../store/schema.ts';

export const STATE_BACKEND_PREFIX = '/api/v1/state/';

export function stateKeyOf(run: {
  action: RunAction | string;
  workspace: string;
  job: string | null;
}): string {
  // A template job's run, and the destroy of its sub-stack (action `destroy` naming the job), share it.
  return run.action === 'job' || run.job ? `_jobs/${run.workspace}/${run.job ?? ''}` : run.workspace;
}

/** The backend address's path: each segment encoded, so the key comes back intact from the URL. */
export function stateBackendPath(key: string): string {
  return `${STATE_BACKEND_PREFIX}${key.split('/').map(encodeURIComponent).join('/')}`;
}
