/**
 * Deploy, destroy and plan, for roles that may operate (the server refuses the others anyway). Each asks
 * for the workspace's name to be typed first; on success the page goes to the new run's live log. A deploy
 * may carry a TTL (docs/ttl.md); the server checks it and names `body.ttl` when it refuses it.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import type { Run, Workspace } from '../../api/types';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorView } from '../../components/Feedback';
import { deployWorkspace } from './api/deploy-workspace';
import { destroyWorkspace } from './api/destroy-workspace';
import { planWorkspace } from './api/plan-workspace';

type Action = 'deploy' | 'destroy' | 'plan';

export function WorkspaceActions({ workspace }: { workspace: Workspace }) {
  const client = useQueryClient();
  const navigate = useNavigate();
  const [asking, setAsking] = useState<Action | null>(null);
  const [mode, setMode] = useState('');
  const [ttl, setTtl] = useState('');
  const request = useMutation({
    mutationFn: (action: Action): Promise<Run> =>
      action === 'deploy'
        ? deployWorkspace(workspace.name, { mode, ttl: ttl.trim() })
        : action === 'destroy'
          ? destroyWorkspace(workspace.name)
          : planWorkspace(workspace.name),
    onSuccess: async (run) => {
      setAsking(null);
      void client.invalidateQueries({ queryKey: ['workspace', workspace.name] });
      await navigate({ to: '/runs/$id', params: { id: run.id } });
    },
    onError: () => setAsking(null),
  });
  const descriptions: Record<Action, string> = {
    deploy: `Queues a deploy of ${workspace.name}${mode ? ` in mode ${mode}` : ''}: the engine creates or updates its resources.${ttl.trim() ? ` Tide destroys it ${ttl.trim()} after the deploy succeeds, unless the schedule wants it up then.` : ''}`,
    destroy: `Queues a destroy of ${workspace.name}: the engine deletes every resource of it.`,
    plan: `Queues a plan of ${workspace.name}: nothing changes, the run reports what a deploy would do.`,
  };
  return (
    <div className="actions">
      {workspace.modes.length > 1 && (
        <>
          <label htmlFor="deploy-mode">Mode</label>
          <select id="deploy-mode" value={mode} onChange={(event) => setMode(event.target.value)}>
            <option value="">Default</option>
            {workspace.modes.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </>
      )}
      <label htmlFor="deploy-ttl">TTL (optional)</label>
      <input
        id="deploy-ttl"
        size={6}
        value={ttl}
        placeholder="4h"
        title="A duration such as 90m, 4h or 1d: destroy that long after the deploy succeeds"
        aria-describedby="deploy-ttl-help"
        onChange={(event) => setTtl(event.target.value)}
      />
      <span id="deploy-ttl-help" className="sr-only">
        Destroy that long after a deploy that succeeds outside the schedule's up period
      </span>
      <button type="button" className="primary" onClick={() => setAsking('deploy')}>
        Deploy
      </button>
      <button type="button" onClick={() => setAsking('plan')}>
        Plan
      </button>
      <button
        type="button"
        className="danger"
        disabled={workspace.protect}
        onClick={() => setAsking('destroy')}
      >
        Destroy
      </button>
      {request.isError && <ErrorView error={request.error} />}
      <ConfirmDialog
        open={asking !== null}
        title={asking ? `${asking[0]!.toUpperCase()}${asking.slice(1)} ${workspace.name}?` : ''}
        description={asking ? descriptions[asking] : ''}
        confirmText={workspace.name}
        actionLabel={asking ? `${asking[0]!.toUpperCase()}${asking.slice(1)} ${workspace.name}` : ''}
        danger={asking === 'destroy'}
        onConfirm={() => asking && request.mutate(asking)}
        onClose={() => setAsking(null)}
      />
    </div>
  );
}
