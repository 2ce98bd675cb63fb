import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir } from '../../test/helpers/config-dir.ts';
import { TreeWatch } from './tree-watch.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

async function watchTree(files: Record<string, string>) {
  const config = makeConfigDir(files);
  const changes: string[] = [];
  const errors: Error[] = [];
  const waiting: { target: string; resolve: () => void }[] = [];
  const tree = await TreeWatch.start(config.dir, {
    ignored: (target) => /[\\/]\.git([\\/]|$)/.test(target),
    onChange: (target) => {
      changes.push(target);
      for (const wait of waiting.filter((w) => w.target === target)) wait.resolve();
    },
    onError: (error) => errors.push(error),
  });
  cleanups.push(() => tree.close(), config.cleanup);
  /** Resolves when `relative` is reported (or already was). */
  const reported = (relative: string) => {
    const target = path.join(config.dir, relative);
    if (changes.includes(target)) return Promise.resolve();
    return new Promise<void>((resolve) => waiting.push({ target, resolve }));
  };
  return { config, tree, changes, errors, reported };
}

/** Resolves once `tree` watches `count` directories (a new directory's watch starts after its event). */
function watching(tree: TreeWatch, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (tree.size === count ? resolve() : setImmediate(check));
    check();
  });
}

describe('tree watch', () => {
  it('watches each directory once and no file, skipping ignored directories', async () => {
    const { tree } = await watchTree({
      'workspaces/web/config.json': '{}',
      'workspaces/web/main.tf': '',
      'workspaces/web/modules/net/main.tf': '',
      'workspaces/db/config.json': '{}',
      '.git/HEAD': 'ref',
    });
    // The root, workspaces, web, web/modules, web/modules/net, db.
    expect(tree.size).toBe(6);
  });

  it('reports a file written in a watched directory', async () => {
    const { config, reported } = await watchTree({ 'workspaces/web/config.json': '{}' });
    const seen = reported('workspaces/web/config.json');
    writeFileSync(path.join(config.dir, 'workspaces/web/config.json'), '{"enabled":true}');
    await seen;
  });

  it('watches a directory created after the start, down to files written in its new subdirectories', async () => {
    const { config, tree, reported } = await watchTree({ 'workspaces/web/config.json': '{}' });
    const created = reported('workspaces/db');
    mkdirSync(path.join(config.dir, 'workspaces/db'));
    await created;
    // The second report of the folder comes once its watch exists.
    await watching(tree, 4);
    const nested = reported('workspaces/db/modules/main.tf');
    mkdirSync(path.join(config.dir, 'workspaces/db/modules'));
    await reported('workspaces/db/modules');
    await watching(tree, 5);
    writeFileSync(path.join(config.dir, 'workspaces/db/modules/main.tf'), '');
    await nested;
  });

  it('closes the watches of a removed directory', async () => {
    const { config, tree, reported, errors } = await watchTree({
      'workspaces/web/modules/main.tf': '',
      'workspaces/db/main.tf': '',
    });
    expect(tree.size).toBe(5);
    const removed = reported('workspaces/web');
    rmSync(path.join(config.dir, 'workspaces/web'), { recursive: true });
    await removed;
    await watching(tree, 3);
    expect(errors).toEqual([]);
  });

  it('follows a link to a directory but not a link back to an ancestor', async () => {
    const outside = makeConfigDir({ 'shared/main.tf': '' });
    cleanups.push(outside.cleanup);
    const config = makeConfigDir({ 'workspaces/web/main.tf': '' });
    cleanups.push(config.cleanup);
    symlinkSync(path.join(outside.dir, 'shared'), path.join(config.dir, 'workspaces/web/shared'));
    symlinkSync(config.dir, path.join(config.dir, 'workspaces/web/loop'));
    const tree = await TreeWatch.start(config.dir, {
      ignored: () => false,
      onChange: () => {},
      onError: (error) => {
        throw error;
      },
    });
    cleanups.push(() => tree.close());
    // The root, workspaces, web and the linked shared folder; the loop is not walked.
    expect(tree.size).toBe(4);
  });

  it('walks no link to a file or to nothing, reports nothing ignored, and nothing once closed', async () => {
    const { config, tree, changes, reported } = await watchTree({
      'workspaces/web/main.tf': '',
      '.git/HEAD': 'ref',
    });
    symlinkSync(
      path.join(config.dir, 'workspaces/web/main.tf'),
      path.join(config.dir, 'workspaces/file-link'),
    );
    symlinkSync(path.join(config.dir, 'nowhere'), path.join(config.dir, 'workspaces/dangling'));
    await reported('workspaces/dangling');
    const seenByAgain: string[] = [];
    let afterClose: () => void = () => {};
    const again = await TreeWatch.start(config.dir, {
      ignored: (target) => /[\\/]\.git([\\/]|$)/.test(target),
      onChange: (target) => {
        seenByAgain.push(target);
        if (target.endsWith('main.tf')) afterClose();
      },
      onError: (error) => {
        throw error;
      },
    });
    cleanups.push(() => again.close());
    // The root, workspaces and web; neither link nor .git.
    expect(again.size).toBe(3);
    writeFileSync(path.join(config.dir, '.git/HEAD'), 'other');
    const edited = reported('workspaces/web/main.tf');
    writeFileSync(path.join(config.dir, 'workspaces/web/main.tf'), '# edited');
    await edited;
    expect(changes.filter((target) => target.includes('.git'))).toEqual([]);
    tree.close();
    expect(tree.size).toBe(0);
    const count = changes.length;
    // The other watch sees the next write; the closed one reports nothing of it.
    const seen = new Promise<void>((resolve) => (afterClose = resolve));
    writeFileSync(path.join(config.dir, 'workspaces/web/main.tf'), '# after close');
    await seen;
    expect(changes.length).toBe(count);
  });
});
