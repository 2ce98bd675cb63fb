import { useQuery } from '@tanstack/react-query';
import { getWorkspace } from './api/get-workspace';
import { listWorkspaces } from './api/list-workspaces';

/** Kept current by the event stream (lib/events.ts), so it is not refetched on a timer. */
export const useWorkspaces = () =>
  useQuery({ queryKey: ['workspaces'], queryFn: listWorkspaces, staleTime: 60_000 });

export const useWorkspace = (name: string) =>
  useQuery({ queryKey: ['workspace', name], queryFn: () => getWorkspace(name), staleTime: 30_000 });
