import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import {
  getWorkspaceStatus,
  listWorkspaceStatuses,
  upsertWorkspaceStatus,
} from '../workspace/workspace-status.repo.ts';

const t0 = Date.parse('2025-03-03T07:00:00.000Z');
const at = (seconds: number): Date => new Date(t0 + seconds * 1000);

forEachDialect('workspace status', (harness) => {
  it('starts destroyed, not drifted, with no override, the first time a workspace is seen', async () => {
    expect(await getWorkspaceStatus(harness.db, 'demo')).toBeNull();
    const status = await upsertWorkspaceStatus(harness.db, 'demo', { config_hash: 'abc' }, at(0));
    expect(status).toEqual({
      workspace: 'demo',
      status: 'destroyed',
      mode: null,
      drifted: false,
      enabled_override: null,
      config_hash: 'abc',
      config_error: null,
      last_run_id: null,
      deployed_at: null,
      destroyed_at: null,
      status_changed_at: at(0).toISOString(),
      updated_at: at(0).toISOString(),
    });
  });

  it('stamps the change of status and when it was last deployed or destroyed', async () => {
    await upsertWorkspaceStatus(harness.db, 'demo', {}, at(0));
    await upsertWorkspaceStatus(harness.db, 'demo', { status: 'deploying', last_run_id: 'r1' }, at(10));
    const deployed = await upsertWorkspaceStatus(
      harness.db,
      'demo',
      { status: 'deployed', mode: 'small' },
      at(20),
    );
    expect(deployed).toMatchObject({
      status: 'deployed',
      mode: 'small',
      last_run_id: 'r1',
      deployed_at: at(20).toISOString(),
      status_changed_at: at(20).toISOString(),
    });
    const again = await upsertWorkspaceStatus(
      harness.db,
      'demo',
      { status: 'deployed', drifted: true },
      at(30),
    );
    expect(again).toMatchObject({
      drifted: true,
      status_changed_at: at(20).toISOString(),
      updated_at: at(30).toISOString(),
    });
    const destroyed = await upsertWorkspaceStatus(harness.db, 'demo', { status: 'destroyed' }, at(40));
    expect(destroyed).toMatchObject({
      destroyed_at: at(40).toISOString(),
      deployed_at: at(20).toISOString(),
    });
  });

  it('keeps an API enable/disable override until it is cleared', async () => {
    await upsertWorkspaceStatus(harness.db, 'demo', { enabled_override: false }, at(0));
    expect(
      await upsertWorkspaceStatus(harness.db, 'demo', { config_error: 'bad cron' }, at(1)),
    ).toMatchObject({
      enabled_override: false,
      config_error: 'bad cron',
    });
    expect(await upsertWorkspaceStatus(harness.db, 'demo', { enabled_override: null }, at(2))).toMatchObject({
      enabled_override: null,
    });
  });

  it('lists every workspace by name', async () => {
    await upsertWorkspaceStatus(harness.db, 'zeta', {}, at(0));
    await upsertWorkspaceStatus(harness.db, 'alpha', {}, at(0));
    expect((await listWorkspaceStatuses(harness.db)).map((status) => status.workspace)).toEqual([
      'alpha',
      'zeta',
    ]);
  });

  it('creates a workspace once when replicas see it at the same time', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        upsertWorkspaceStatus(harness.db, 'demo', { config_hash: `h${i}` }, at(i)),
      ),
    );
    expect(await listWorkspaceStatuses(harness.db)).toHaveLength(1);
  });
});
