import Sqlite from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { forEachApiDialect, type ApiFixture } from '../../test/helpers/api-fixture.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { WorkspaceViewCache } from './workspace-view-cache.ts';
import type { WorkspaceView } from './workspace-view.ts';

interface View {
  status: string;
  enabled: boolean;
  current_run: { id: string } | null;
  next_firings: { scheduled_at: string }[];
  overrides: { id: string }[];
}

forEachApiDialect('a workspace asked for again', (fixture, harness) => {
  let f: ApiFixture;
  beforeEach(() => {
    f = fixture();
  });
  const view = async (name: string): Promise<View> => {
    const response = await f.app.inject({ url: `/api/v1/workspaces/${name}` });
    expect(response.statusCode).toBe(200);
    return response.json();
  };

  it('shows a queued run and a new status at the next request', async () => {
    expect(await view('vault')).toMatchObject({ status: 'destroyed', current_run: null });
    const run = await f.runs.enqueue({ workspace: 'vault', action: 'deploy', trigger: 'api', actor: 'test' });
    expect((await view('vault')).current_run).toMatchObject({ id: run.id });
    await upsertWorkspaceStatus(f.db, 'vault', { status: 'deployed' }, f.clock.now());
    expect((await view('vault')).status).toBe('deployed');
  });

  it('moves its next firings on when the clock passes the first, with nothing written', async () => {
    const before = await view('vault');
    const first = new Date(before.next_firings[0]!.scheduled_at);
    f.clock.set(new Date(first.getTime() - 1));
    expect((await view('vault')).next_firings[0]!.scheduled_at).toBe(first.toISOString());
    f.clock.set(first);
    expect((await view('vault')).next_firings[0]!.scheduled_at).not.toBe(first.toISOString());
  });

  it('drops an override at its end, with nothing written', async () => {
    const added = await f.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces/vault/overrides',
      payload: { kind: 'keep_down_until', until: new Date(f.clock.now().getTime() + 60_000).toISOString() },
    });
    expect(added.statusCode).toBe(201);
    expect((await view('vault')).overrides).toHaveLength(1);
    f.clock.advance(60_000);
    expect((await view('vault')).overrides).toHaveLength(0);
  });

  if (harness.dialect === 'sqlite')
    it('shows a change another process committed to the same SQLite file (a CLI next to the server)', async () => {
      expect((await view('vault')).enabled).toBe(true);
      const other = new Sqlite(harness.store.location);
      try {
        other
          .prepare(
            `INSERT INTO workspace_status (workspace, status, enabled_override, updated_at) VALUES ('vault', 'destroyed', 0, ?)`,
          )
          .run(f.clock.now().toISOString());
      } finally {
        other.close();
      }
      expect((await view('vault')).enabled).toBe(false);
    });
});

describe('WorkspaceViewCache', () => {
  const at = (iso: string) => new Date(iso);
  const built = (changesAt: Date | null = null) => {
    const calls: number[] = [];
    const build = async () => {
      calls.push(calls.length);
      return { view: { name: `v${calls.length}` } as unknown as WorkspaceView, changesAt };
    };
    return { calls, build };
  };

  it('builds once while the config, the stamp and the time hold, and again when any of them moves', async () => {
    let stamp = '1:1';
    const cache = new WorkspaceViewCache(() => stamp);
    const config = {};
    const { calls, build } = built(at('2027-03-15T07:00:00Z'));
    await cache.get('web', config, at('2027-03-15T06:00:00Z'), build);
    await cache.get('web', config, at('2027-03-15T06:00:00.500Z'), build);
    expect(calls).toHaveLength(1);
    stamp = '2:1';
    await cache.get('web', config, at('2027-03-15T06:00:00.500Z'), build);
    expect(calls).toHaveLength(2);
    await cache.get('web', {}, at('2027-03-15T06:00:00.500Z'), build);
    expect(calls).toHaveLength(3);
    // At most a second old, even before the view's own next change.
    await cache.get('web', {}, at('2027-03-15T06:00:01.500Z'), build);
    expect(calls).toHaveLength(4);
    // A clock set back is not trusted either.
    await cache.get('web', {}, at('2027-03-15T06:00:00Z'), build);
    expect(calls).toHaveLength(5);
  });

  it('builds again at the instant the view said it changes', async () => {
    const cache = new WorkspaceViewCache(() => '1:1');
    const config = {};
    const { calls, build } = built(at('2027-03-15T06:00:00.200Z'));
    await cache.get('web', config, at('2027-03-15T06:00:00Z'), build);
    await cache.get('web', config, at('2027-03-15T06:00:00.199Z'), build);
    expect(calls).toHaveLength(1);
    await cache.get('web', config, at('2027-03-15T06:00:00.200Z'), build);
    expect(calls).toHaveLength(2);
  });

  it('keeps the workspaces asked for most recently, up to its size', async () => {
    const cache = new WorkspaceViewCache(() => '1:1', 1);
    const config = {};
    const now = at('2027-03-15T06:00:00Z');
    const { calls, build } = built();
    await cache.get('web', config, now, build);
    await cache.get('vault', config, now, build);
    await cache.get('vault', config, now, build);
    expect(calls).toHaveLength(2);
    await cache.get('web', config, now, build);
    expect(calls).toHaveLength(3);
  });

  it('keeps nothing when the store has no stamp (PostgreSQL)', async () => {
    const cache = new WorkspaceViewCache(() => null);
    const { calls, build } = built();
    await cache.get('web', {}, at('2027-03-15T06:00:00Z'), build);
    await cache.get('web', {}, at('2027-03-15T06:00:00Z'), build);
    expect(calls).toHaveLength(2);
  });
});
