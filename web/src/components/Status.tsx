/**
 * Status as text plus a color and a shape, never color alone: the palette (styles.css) is the Okabe–Ito
 * one, distinguishable with the common color-vision deficiencies; each tone has its own marker shape
 * (drawn by CSS, so its color is not text that needs text contrast) and each badge names its status.
 */
import type { RunState, WorkspaceStatus } from '../api/types';

const workspaceLabels: Record<WorkspaceStatus, string> = {
  deployed: 'Up',
  destroyed: 'Down',
  deploying: 'Deploying',
  destroying: 'Destroying',
  deploy_failed: 'Deploy failed',
  destroy_failed: 'Destroy failed',
};

const workspaceTone: Record<WorkspaceStatus, string> = {
  deployed: 'ok',
  destroyed: 'idle',
  deploying: 'busy',
  destroying: 'busy',
  deploy_failed: 'bad',
  destroy_failed: 'bad',
};

const runTone: Record<RunState, string> = {
  queued: 'idle',
  running: 'busy',
  succeeded: 'ok',
  failed: 'bad',
  canceled: 'warn',
  timed_out: 'bad',
  skipped: 'idle',
};

export function runToneOf(state: RunState): string {
  return runTone[state];
}

export function WorkspaceStatusBadge({ status }: { status: WorkspaceStatus }) {
  const tone = workspaceTone[status];
  return (
    <span className={`badge tone-${tone}`} data-status={status}>
      {workspaceLabels[status]}
    </span>
  );
}

export function RunStateBadge({ state }: { state: RunState }) {
  const tone = runTone[state];
  return (
    <span className={`badge tone-${tone}`} data-state={state}>
      {state.replace('_', ' ')}
    </span>
  );
}

export function Badge({
  tone,
  children,
  title,
}: {
  tone: string;
  children: React.ReactNode;
  title?: string;
}) {
  return (
    <span className={`badge tone-${tone}`} title={title}>
      {children}
    </span>
  );
}
