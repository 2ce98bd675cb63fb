import { renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, minimalTf, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { ConfigWatcher, type ReloadEvent } from './config-watcher.ts';

const watchers: ConfigWatcher[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await Promise.all(watchers.splice(0).map((watcher) => watcher.close()));
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

async function startWatching(files: Record<string, string | object>) {
  const config = makeConfigDir(files);
  cleanups.push(config.cleanup);
  const watcher = new ConfigWatcher(config.dir, { defaultTimeZone: 'UTC' });
  watchers.push(watcher);
  await watcher.start();
  return { config, watcher };
}

/** The next reload, failing after 1 s: the SPEC promises changes take effect within a second. */
function nextReload(watcher: ConfigWatcher): Promise<ReloadEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no reload within 1 s')), 1000);
    watcher.once('reload', (event) => {
      clearTimeout(timer);
      resolve(event);
    });
  });
}

describe('hot reload', () => {
  it('picks up an added workspace', async () => {
    const { config, watcher } = await startWatching(workspaceFiles('web', {}));
    const reload = nextReload(watcher);
    config.write('workspaces/db/main.tf', minimalTf);
    config.write('workspaces/db/config.json', { enabled: true });
    const event = await reload;
    expect(event.changes).toContainEqual({ kind: 'workspace', name: 'db', change: 'added' });
    expect(watcher.current().workspaces.get('db')?.definition?.enabled).toBe(true);
  });

  it('picks up an edit of a .tfvars file as an update of its workspace', async () => {
    const { config, watcher } = await startWatching(workspaceFiles('web', {}));
    const before = watcher.current().workspaces.get('web')!.definition!.contentHash;
    const reload = nextReload(watcher);
    config.write('workspaces/web/prod.tfvars', 'size = 2\n');
    expect((await reload).changes).toEqual([{ kind: 'workspace', name: 'web', change: 'updated' }]);
    expect(watcher.current().workspaces.get('web')!.definition!.contentHash).not.toBe(before);
  });

  it('updates every workspace built on an edited template', async () => {
    const { config, watcher } = await startWatching({
      ...workspaceFiles('a', { template: 'base' }),
      ...workspaceFiles('b', { template: 'base' }),
      'templates/base/main.tf': minimalTf,
    });
    const reload = nextReload(watcher);
    config.write('templates/base/main.tf', `${minimalTf}# v2\n`);
    expect((await reload).changes).toEqual(
      expect.arrayContaining([
        { kind: 'template', name: 'base', change: 'updated' },
        { kind: 'workspace', name: 'a', change: 'updated' },
        { kind: 'workspace', name: 'b', change: 'updated' },
      ]),
    );
  });

  it('removes a deleted workspace', async () => {
    const { config, watcher } = await startWatching({
      ...workspaceFiles('web', {}),
      ...workspaceFiles('db', {}),
    });
    const reload = nextReload(watcher);
    rmSync(path.join(config.dir, 'workspaces/db'), { recursive: true });
    expect((await reload).changes).toContainEqual({ kind: 'workspace', name: 'db', change: 'removed' });
    expect(watcher.current().workspaces.has('db')).toBe(false);
  });

  it('keeps the last good config when an edit is invalid, and reports the error', async () => {
    const { config, watcher } = await startWatching(workspaceFiles('web', { deploy_schedule: '0 9 * * *' }));
    const reload = nextReload(watcher);
    config.write('workspaces/web/config.json', { deploy_schedule: '0 99 * * *' });
    const event = await reload;
    expect(event.changes).toEqual([{ kind: 'workspace', name: 'web', change: 'rejected' }]);
    const web = watcher.current().workspaces.get('web')!;
    expect(web.definition?.edges[0]?.cron).toBe('0 9 * * *');
    expect(web.configError).toMatch(/deploy_schedule: invalid cron expression "0 99 \* \* \*"/);
  });

  it('picks up standalone jobs and calendars', async () => {
    const { config, watcher } = await startWatching({});
    const reload = nextReload(watcher);
    config.write('jobs/ping.json', { type: 'command', command: 'true', enabled: true });
    expect((await reload).changes).toEqual([{ kind: 'job', name: 'ping', change: 'added' }]);
    const second = nextReload(watcher);
    config.write('calendars/holidays.yaml', '- 2027-01-01\n');
    expect((await second).changes).toEqual([{ kind: 'calendar', name: 'holidays', change: 'added' }]);
  });
});

/** The next reload whose changes satisfy `done`, however many reloads the file events take to get there. */
function reloadUntil(watcher: ConfigWatcher, done: (event: ReloadEvent) => boolean): Promise<ReloadEvent> {
  return new Promise((resolve) => {
    const listener = (event: ReloadEvent) => {
      if (!done(event)) return;
      watcher.off('reload', listener);
      resolve(event);
    };
    watcher.on('reload', listener);
  });
}

describe('hot reload of a directory swapped in place', () => {
  const names = (watcher: ConfigWatcher) => [...watcher.current().workspaces.keys()].sort();

  it('follows a git-sync checkout link swapped twice, its old targets deleted', async () => {
    const root = makeConfigDir({});
    cleanups.push(root.cleanup);
    const checkout = (name: string, workspaces: string[]) => {
      for (const ws of workspaces) root.write(`${name}/workspaces/${ws}/main.tf`, minimalTf);
    };
    // git-sync's layout: a link to the current checkout, replaced atomically by a rename.
    const swap = (target: string) => {
      symlinkSync(target, path.join(root.dir, 'link.tmp'));
      renameSync(path.join(root.dir, 'link.tmp'), path.join(root.dir, 'current'));
    };
    checkout('rev-a', ['web']);
    symlinkSync('rev-a', path.join(root.dir, 'current'));
    const watcher = new ConfigWatcher(path.join(root.dir, 'current'), { defaultTimeZone: 'UTC' });
    watchers.push(watcher);
    await watcher.start();
    expect(names(watcher)).toEqual(['web']);

    checkout('rev-b', ['web', 'db']);
    const first = reloadUntil(watcher, () => names(watcher).includes('db'));
    swap('rev-b');
    rmSync(path.join(root.dir, 'rev-a'), { recursive: true });
    await first;
    expect(names(watcher)).toEqual(['db', 'web']);

    checkout('rev-c', ['web', 'db', 'cache']);
    const second = reloadUntil(watcher, () => names(watcher).includes('cache'));
    swap('rev-c');
    rmSync(path.join(root.dir, 'rev-b'), { recursive: true });
    await second;
    expect(names(watcher)).toEqual(['cache', 'db', 'web']);
  });

  it('follows a Kubernetes ConfigMap volume whose ..data link is swapped', async () => {
    const dir = makeConfigDir({});
    cleanups.push(dir.cleanup);
    // The kubelet's layout: timestamped folders, `..data` pointing at the current one, and each top-level
    // entry a link through `..data`.
    dir.write('..2026_a/workspaces/web/main.tf', minimalTf);
    symlinkSync('..2026_a', path.join(dir.dir, '..data'));
    symlinkSync('..data/workspaces', path.join(dir.dir, 'workspaces'));
    const watcher = new ConfigWatcher(dir.dir, { defaultTimeZone: 'UTC' });
    watchers.push(watcher);
    await watcher.start();
    expect(names(watcher)).toEqual(['web']);

    for (const [folder, expected] of [
      ['..2026_b', ['db', 'web']],
      ['..2026_c', ['cache', 'db', 'web']],
    ] as const) {
      for (const ws of expected) dir.write(`${folder}/workspaces/${ws}/main.tf`, minimalTf);
      const reloaded = reloadUntil(watcher, () => names(watcher).length === expected.length);
      symlinkSync(folder, path.join(dir.dir, '..data_tmp'));
      renameSync(path.join(dir.dir, '..data_tmp'), path.join(dir.dir, '..data'));
      await reloaded;
      expect(names(watcher)).toEqual([...expected]);
    }
  });
});

describe('a reload in slices (decision 042)', () => {
  it('gives the event loop turns during a reload of many units, readers seeing the old configuration until the swap', async () => {
    const files: Record<string, string | object> = {};
    for (let i = 0; i < 150; i++) Object.assign(files, workspaceFiles(`ws-${i}`, { description: 'old' }));
    const config = makeConfigDir(files);
    cleanups.push(config.cleanup);
    const seenDuringPauses = new Set<unknown>();
    let pauses = 0;
    const watcher: ConfigWatcher = new ConfigWatcher(config.dir, {
      defaultTimeZone: 'UTC',
      slices: {
        budgetMs: 0,
        pause: () => {
          pauses++;
          seenDuringPauses.add(watcher.current());
          return new Promise((resolve) => setImmediate(resolve));
        },
      },
    });
    watchers.push(watcher);
    const before = await watcher.start();
    const reload = nextReload(watcher);
    config.write('workspaces/ws-7/config.json', { description: 'new' });
    const event = await reload;
    expect(event.changes).toEqual([{ kind: 'workspace', name: 'ws-7', change: 'updated' }]);
    expect(pauses).toBeGreaterThan(10);
    expect([...seenDuringPauses]).toEqual([before]);
    expect(watcher.current()).toBe(event.config);
    expect(watcher.current().workspaces.get('ws-7')?.definition?.description).toBe('new');
  });
});
