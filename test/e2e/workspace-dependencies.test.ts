import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isDone } from '../../src/run/run-state.ts';
import type { Run } from '../../src/run/run.ts';
import { daemonHarness, markerWorkspaceTf, type DaemonHarness } from '../helpers/daemon-harness.ts';

const harnesses: DaemonHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
});

/** `app` depends on `db`; both real terraform_data workspaces. */
async function start(
  configs: { app: object; db: object },
  at: string,
  dbCreatePrefix = '',
): Promise<DaemonHarness> {
  const h = await daemonHarness({}, at);
  harnesses.push(h);
  h.write('workspaces/db/main.tf', markerWorkspaceTf(h.sideEffects, dbCreatePrefix, { orderLog: true }));
  h.write('workspaces/db/config.json', { enabled: true, ...configs.db });
  h.write('workspaces/app/main.tf', markerWorkspaceTf(h.sideEffects, '', { orderLog: true }));
  h.write('workspaces/app/config.json', { enabled: true, depends_on: ['db'], ...configs.app });
  await h.restart();
  return h;
}

/** The next run of `workspace` to reach a terminal state; listening starts before the action that queues it. */
function nextEnd(h: DaemonHarness, workspace: string): Promise<Run> {
  return new Promise((resolve) => {
    const listener = (run: Run): void => {
      if (run.workspace !== workspace || !isDone(run.state)) return;
      h.daemon.hub.off('run.updated', listener);
      resolve(run);
    };
    h.daemon.hub.on('run.updated', listener);
  });
}

const order = (h: DaemonHarness): string[] => {
  const file = path.join(h.sideEffects, 'order.log');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
};

describe('workspace dependencies with the real engine', () => {
  it('a scheduled deploy of app deploys db first; a scheduled destroy of db destroys app first', async () => {
    const h = await start(
      { app: { deploy_schedule: '0 7 * * *' }, db: { destroy_schedule: '0 19 * * *' } },
      '2027-06-01T06:59:00Z',
    );
    h.clock.set('2027-06-01T07:00:00Z');
    const appDeployed = nextEnd(h, 'app');
    await h.daemon.scheduler!.tick();
    const [appDeploy] = (await h.api('GET', '/api/v1/runs?workspace=app')).body.items;
    const [dbDeploy] = (await h.api('GET', '/api/v1/runs?workspace=db')).body.items;
    expect(dbDeploy).toMatchObject({ action: 'deploy', trigger: 'dependency', actor: 'scheduler' });
    expect(appDeploy).toMatchObject({ action: 'deploy', trigger: 'schedule' });
    const chain = (await h.api('GET', `/api/v1/runs/${appDeploy.id}/dependencies`)).body;
    expect(chain.waits_for).toMatchObject([{ run_id: dbDeploy.id, workspace: 'db', action: 'deploy' }]);

    expect(await appDeployed).toMatchObject({ id: appDeploy.id, state: 'succeeded' });
    expect((await h.api('GET', `/api/v1/runs/${dbDeploy.id}`)).body.state).toBe('succeeded');
    expect(order(h)).toEqual(['up db', 'up app']);
    for (const name of ['db', 'app'])
      expect((await h.api('GET', `/api/v1/workspaces/${name}`)).body.status).toBe('deployed');

    // A person's destroy of db names app and is refused without --with-dependents.
    const refused = await h.api('POST', '/api/v1/workspaces/db/destroy', {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'conflict', details: { dependents: ['app'] } });

    h.clock.set('2027-06-01T19:00:00Z');
    const dbDestroyed = nextEnd(h, 'db');
    await h.daemon.scheduler!.tick();
    const [dbDestroy] = (await h.api('GET', '/api/v1/runs?workspace=db')).body.items;
    const [appDestroy] = (await h.api('GET', '/api/v1/runs?workspace=app')).body.items;
    expect(appDestroy).toMatchObject({ action: 'destroy', trigger: 'dependency' });
    expect(dbDestroy).toMatchObject({ action: 'destroy', trigger: 'schedule' });
    expect(await dbDestroyed).toMatchObject({ id: dbDestroy.id, state: 'succeeded' });
    expect(order(h)).toEqual(['up db', 'up app', 'down app', 'down db']);
    for (const name of ['db', 'app'])
      expect((await h.api('GET', `/api/v1/workspaces/${name}`)).body.status).toBe('destroyed');
  });

  it('a failing dependency cancels the deploy that waits for it, naming the dependency, its run and outcome', async () => {
    const h = await start({ app: {}, db: {} }, '2027-06-01T10:00:00Z', 'echo db refuses >&2 && exit 1 && ');
    const appEnded = nextEnd(h, 'app');
    const queued = await h.api('POST', '/api/v1/workspaces/app/deploy', {});
    expect(queued.status).toBe(202);
    expect(queued.body.dependency_chain).toBe('db → app');
    const [dbRun] = queued.body.dependency_runs;
    expect(dbRun).toMatchObject({ workspace: 'db', action: 'deploy', trigger: 'dependency' });

    expect(await appEnded).toMatchObject({
      id: queued.body.id,
      state: 'canceled',
      reason: `dependency db: run ${dbRun.id} failed`,
    });
    expect((await h.api('GET', `/api/v1/runs/${dbRun.id}`)).body.state).toBe('failed');
    expect(order(h)).toEqual([]);
    expect((await h.api('GET', '/api/v1/workspaces/app')).body.status).toBe('destroyed');
  });
});
