/**
 * Changes made while the config watcher starts: its units are read while the watches are set up
 * (decision 041), so an edit or a new workspace between a unit's read and the end of the start must still
 * be reloaded. The edits are made from inside the loader (its loadUnit wrapped), right after a unit was
 * read, so they fall in that window on every run.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeConfigDir, minimalTf, workspaceFiles } from '../../test/helpers/config-dir.ts';
import type * as ConfigUnits from './config-units.ts';
import { ConfigWatcher, type ReloadEvent } from './config-watcher.ts';

const afterRead = vi.hoisted(() => ({ hooks: new Map<string, () => void>() }));

vi.mock('./config-units.ts', async (importOriginal) => {
  const original = await importOriginal<typeof ConfigUnits>();
  const loadUnit: typeof original.loadUnit = async (...args) => {
    const unit = await original.loadUnit(...args);
    const hook = afterRead.hooks.get(`${args[1]}:${args[2]}`);
    afterRead.hooks.delete(`${args[1]}:${args[2]}`);
    hook?.();
    return unit;
  };
  return { ...original, loadUnit };
});

const watchers: ConfigWatcher[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  afterRead.hooks.clear();
  await Promise.all(watchers.splice(0).map((watcher) => watcher.close()));
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

function manyWorkspaces(count: number): Record<string, string | object> {
  const files: Record<string, string | object> = {};
  for (let i = 0; i < count; i++) Object.assign(files, workspaceFiles(`ws-${i}`, { description: `ws ${i}` }));
  return files;
}

/** Starts a watcher on `files`, listening for its first reload before the start begins. */
async function startWith(
  files: Record<string, string | object>,
  edits: Record<string, (write: (file: string, content: string | object) => void) => void>,
) {
  const config = makeConfigDir(files);
  cleanups.push(config.cleanup);
  for (const [unit, edit] of Object.entries(edits)) afterRead.hooks.set(unit, () => edit(config.write));
  const watcher = new ConfigWatcher(config.dir, { defaultTimeZone: 'UTC' });
  watchers.push(watcher);
  const reload = new Promise<ReloadEvent>((resolve) => watcher.once('reload', resolve));
  await watcher.start();
  return { watcher, reload };
}

describe('changes made while the config watcher starts', () => {
  it('reloads a workspace edited right after the start read it', async () => {
    // The last workspace read: its folder's watch may come before or after the edit, both must reload.
    const { watcher, reload } = await startWith(manyWorkspaces(200), {
      'workspace:ws-0': (write) => write('workspaces/ws-0/config.json', { description: 'edited' }),
      'workspace:ws-199': (write) => write('workspaces/ws-199/config.json', { description: 'edited' }),
    });
    const { changes } = await reload;
    const pending =
      changes.length < 2
        ? await new Promise<ReloadEvent>((resolve) => watcher.once('reload', resolve))
        : null;
    expect([...changes, ...(pending?.changes ?? [])]).toEqual(
      expect.arrayContaining([
        { kind: 'workspace', name: 'ws-0', change: 'updated' },
        { kind: 'workspace', name: 'ws-199', change: 'updated' },
      ]),
    );
    expect(watcher.current().workspaces.get('ws-0')?.definition?.description).toBe('edited');
    expect(watcher.current().workspaces.get('ws-199')?.definition?.description).toBe('edited');
  });

  it('reloads a workspace created after the start listed the workspaces', async () => {
    const { watcher, reload } = await startWith(manyWorkspaces(50), {
      'workspace:ws-0': (write) => {
        write('workspaces/late/main.tf', minimalTf);
        write('workspaces/late/config.json', { description: 'late' });
      },
    });
    expect((await reload).changes).toContainEqual({ kind: 'workspace', name: 'late', change: 'added' });
    expect(watcher.current().workspaces.get('late')?.definition?.description).toBe('late');
  });
});
