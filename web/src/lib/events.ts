/**
 * The live event stream (`/api/v1/events`, docs/api.md#events) applied to the query cache: workspace
 * status changes and run updates patch the lists already shown, so a fleet of 1,000 workspaces is not
 * refetched on every event. Reconnects with backoff; after a reconnect the lists are read again, since
 * the stream replays nothing.
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { refreshSession } from '../api/client';
import type { EventMessage, Run, Workspace } from '../api/types';

export type StreamState = 'connecting' | 'live' | 'reconnecting';

const MAX_BACKOFF_MS = 30_000;
/** 1008: the credentials expired; refresh the session before reconnecting. */
const POLICY_VIOLATION = 1008;

const isActive = (run: Run) => run.state === 'queued' || run.state === 'running';

function patchWorkspace(client: QueryClient, name: string, patch: (w: Workspace) => Workspace) {
  client.setQueryData<Workspace[]>(['workspaces'], (list) =>
    list?.map((workspace) => (workspace.name === name ? patch(workspace) : workspace)),
  );
  client.setQueryData<Workspace>(['workspace', name], (workspace) =>
    workspace ? patch(workspace) : workspace,
  );
}

export function applyEvent(client: QueryClient, message: EventMessage): void {
  if (message.type === 'workspace.status') {
    patchWorkspace(client, message.workspace, (w) => ({ ...w, status: message.status, mode: message.mode }));
  } else if (message.type === 'run.updated') {
    const { run } = message;
    patchWorkspace(client, run.workspace, (w) => {
      if (isActive(run)) return { ...w, current_run: run };
      const current = w.current_run?.id === run.id ? null : w.current_run;
      return { ...w, current_run: current, last_run: run.action === 'plan' && w.last_run ? w.last_run : run };
    });
    client.setQueryData<Run>(['run', run.id], run);
    void client.invalidateQueries({ queryKey: ['runs'] });
  } else if (message.type === 'firing.recorded') {
    void client.invalidateQueries({ queryKey: ['firings', message.workspace] });
  }
}

export function useEventStream(enabled: boolean): StreamState {
  const client = useQueryClient();
  const [state, setState] = useState<StreamState>('connecting');
  useEffect(() => {
    if (!enabled) return undefined;
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempts = 0;
    let stopped = false;
    const connect = () => {
      let opened = false;
      socket = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/v1/events`);
      socket.onopen = () => {
        opened = true;
        if (attempts > 0) void client.invalidateQueries();
        attempts = 0;
        setState('live');
      };
      socket.onmessage = (event: MessageEvent<string>) =>
        applyEvent(client, JSON.parse(event.data) as EventMessage);
      socket.onclose = async (event) => {
        if (stopped) return;
        setState('reconnecting');
        // Refused at the upgrade (an expired access cookie is a 401 there) or closed for expired credentials.
        if (!opened || event.code === POLICY_VIOLATION) await refreshSession();
        const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempts++);
        timer = setTimeout(connect, delay);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, [client, enabled]);
  return state;
}
