import { Migrator } from 'kysely';
import { expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { insertRun } from '../run/run.repo.ts';
import {
  applyWorkspaceChange,
  getWorkspaceStatus,
  listWorkspaceStatuses,
  upsertWorkspaceStatus,
} from '../workspace/workspace-status.repo.ts';

import { migrateToLatest } from './migrate.ts';
import { migrations } from './migrations/index.ts';

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
      status_before_run: null,
      deployed_at: null,
      destroyed_at: null,
      // No status change has happened yet: a window reconcile must not wait out a grace period.
      status_changed_at: null,
      updated_at: at(0).toISOString(),
      drift_checked_at: null,
      drift_since: null,
      drift_run_id: null,
      drift_summary: null,
      drift_addresses: [],
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

  it('moves the status through the state machine, remembering the status a run started from', async () => {
    await upsertWorkspaceStatus(harness.db, 'demo', { status: 'deployed' }, at(0));
    const start = { event: 'destroy_started', runId: 'r1' } as const;
    expect(await applyWorkspaceChange(harness.db, 'demo', start, at(10))).toMatchObject({
      status: 'destroying',
      status_before_run: 'deployed',
      last_run_id: 'r1',
      status_changed_at: at(10).toISOString(),
    });
    const back = { event: 'canceled_before_apply', runId: 'r1' } as const;
    expect(await applyWorkspaceChange(harness.db, 'demo', back, at(20))).toMatchObject({
      status: 'deployed',
      status_before_run: null,
      deployed_at: at(0).toISOString(),
    });
  });

  it('refuses an edge the state machine does not have, and changes nothing', async () => {
    await upsertWorkspaceStatus(harness.db, 'demo', { status: 'deployed' }, at(0));
    const change = { event: 'completed', runId: 'r1' } as const;
    await expect(applyWorkspaceChange(harness.db, 'demo', change, at(10))).rejects.toMatchObject({
      code: 'illegal_transition',
      details: { workspace: 'demo', from: 'deployed', event: 'completed' },
    });
    expect(await getWorkspaceStatus(harness.db, 'demo')).toMatchObject({
      status: 'deployed',
      last_run_id: null,
    });
  });

  it('creates a workspace once when replicas see it at the same time', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        upsertWorkspaceStatus(harness.db, 'demo', { config_hash: `h${i}` }, at(i)),
      ),
    );
    expect(await listWorkspaceStatuses(harness.db)).toHaveLength(1);
  });

  it('repairs, on upgrade, a workspace left deploying or destroying with no running run', async () => {
    const store = await harness.open(await harness.freshDatabase());
    const machine = migrations.findIndex(([name]) => name === '0008_workspace_status_machine');
    const provider = { getMigrations: async () => Object.fromEntries(migrations) };
    await new Migrator({ db: store.db, provider }).migrateTo(migrations[machine - 1]![0]);
    const legacy = { updated_at: at(0).toISOString() };
    await store.db
      .insertInto('workspace_status')
      .values([
        { ...legacy, workspace: 'crashed-deploy', status: 'deploying' },
        { ...legacy, workspace: 'crashed-destroy', status: 'destroying' },
        { ...legacy, workspace: 'live', status: 'deploying' },
        { ...legacy, workspace: 'idle', status: 'deployed' },
      ])
      .execute();
    await insertRun(store.db, {
      id: 'r',
      workspace: 'live',
      action: 'deploy',
      trigger: 'api',
      created_at: at(0),
    });
    await store.db.updateTable('runs').set({ state: 'running' }).where('id', '=', 'r').execute();
    await migrateToLatest(store);
    const statuses = await listWorkspaceStatuses(store.db);
    expect(statuses.map(({ workspace, status }) => [workspace, status])).toEqual([
      ['crashed-deploy', 'deploy_failed'],
      ['crashed-destroy', 'destroy_failed'],
      ['idle', 'deployed'],
      ['live', 'deploying'],
    ]);
  });
});
