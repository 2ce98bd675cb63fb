import { api, call } from '../../../api/client';
import type { Page, Workspace } from '../../../api/types';

/** Every workspace the caller may read: the fleet view filters and searches on the page. */
export async function listWorkspaces(): Promise<Workspace[]> {
  const all: Workspace[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<Page<Workspace>>(() =>
      api.GET('/api/v1/workspaces', { params: { query: { limit: 500, ...(cursor ? { cursor } : {}) } } }),
    );
    all.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return all;
}
