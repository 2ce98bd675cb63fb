import { afterEach, expect, it } from 'vitest';
import { workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { schedulerHarness, type SchedulerHarness } from '../../test/helpers/scheduler-harness.ts';
import { listRuns } from '../run/run.repo.ts';
import { listFirings } from '../schedule/firing.repo.ts';
import { upsertWorkspaceStatus } from '../workspace/workspace-status.repo.ts';

const harnesses: SchedulerHarness[] = [];
afterEach(() => harnesses.splice(0).forEach((h) => h.cleanup()));

forEachDialect('scheduled firings with dependencies', (harness) => {
  it('a scheduled deploy queues a deploy of its dependency first and waits for it', async () => {
    const h = await schedulerHarness(
      harness.db,
      {
        ...workspaceFiles('db', { enabled: true }),
        ...workspaceFiles('app', { enabled: true, depends_on: ['db'], deploy_schedule: '0 7 * * *' }),
      },
      '2027-06-01T06:59:00Z',
    );
    harnesses.push(h);
    const scheduler = h.newScheduler();
    await scheduler.start();
    h.clock.set('2027-06-01T07:00:00Z');
    await scheduler.tick();
    // Queued in one transaction at one instant: sorted by workspace to compare.
    const runs = (await listRuns(harness.db)).items.sort((a, b) => a.workspace.localeCompare(b.workspace));
    expect(runs.map((r) => [r.workspace, r.action, r.trigger, r.actor])).toEqual([
      ['app', 'deploy', 'schedule', 'scheduler'],
      ['db', 'deploy', 'dependency', 'scheduler'],
    ]);
    const [firing] = (await listFirings(harness.db, { workspace: 'app' })).items;
    expect(firing).toMatchObject({ outcome: 'fired', run_id: runs[0]!.id });
  });

  it('records a scheduled destroy through a protected dependent as skipped, naming it', async () => {
    const h = await schedulerHarness(
      harness.db,
      {
        ...workspaceFiles('db', { enabled: true, destroy_schedule: '0 19 * * *' }),
        ...workspaceFiles('vault', { enabled: true, protect: true, depends_on: ['db'] }),
      },
      '2027-06-01T18:59:00Z',
    );
    harnesses.push(h);
    for (const name of ['db', 'vault'])
      await upsertWorkspaceStatus(harness.db, name, { status: 'deployed' }, h.clock.now());
    const scheduler = h.newScheduler();
    await scheduler.start();
    h.clock.set('2027-06-01T19:00:00Z');
    await scheduler.tick();
    expect((await listRuns(harness.db)).items).toEqual([]);
    const [firing] = (await listFirings(harness.db, { workspace: 'db' })).items;
    expect(firing).toMatchObject({
      outcome: 'skipped',
      run_id: null,
      reason:
        'workspace "db" cannot be destroyed: dependent "vault" is protected (protect: true) and would be destroyed first',
    });
  });

  it('records a scheduled destroy through a dependent an environment points at as skipped, naming both', async () => {
    const h = await schedulerHarness(
      harness.db,
      {
        ...workspaceFiles('db', { enabled: true, destroy_schedule: '0 19 * * *' }),
        ...workspaceFiles('app', { enabled: true, depends_on: ['db'] }),
        'environments/prod.json': {
          domain: 'shop.example.com',
          reserved_ips: ['198.51.100.1'],
          assigned_workspace: 'app',
          healthcheck: { type: 'tcp', port: 443 },
          action: { command: ['true'] },
        },
      },
      '2027-06-01T18:59:00Z',
    );
    harnesses.push(h);
    for (const name of ['db', 'app'])
      await upsertWorkspaceStatus(harness.db, name, { status: 'deployed' }, h.clock.now());
    const scheduler = h.newScheduler();
    await scheduler.start();
    h.clock.set('2027-06-01T19:00:00Z');
    await scheduler.tick();
    expect((await listRuns(harness.db)).items).toEqual([]);
    const [firing] = (await listFirings(harness.db, { workspace: 'db' })).items;
    expect(firing).toMatchObject({
      outcome: 'skipped',
      run_id: null,
      reason:
        'workspace "db" cannot be destroyed: dependent "app" (environment "prod") would be destroyed first; switch the environment to another workspace first',
    });
  });
});
