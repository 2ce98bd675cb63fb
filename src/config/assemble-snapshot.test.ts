import { afterEach, describe, expect, it } from 'vitest';
import { makeConfigDir, minimalTf } from '../../test/helpers/config-dir.ts';
import { assembleSnapshot } from './assemble-snapshot.ts';
import { loadConfigDirectory } from './config-loader.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

describe('assembling a snapshot', () => {
  it('gives a workspace built on a template the same definition while neither changed, a new one when the template did', async () => {
    const config = makeConfigDir({
      'workspaces/local/config.json': { template: 'web-app', deploy_schedule: '0 9 * * *' },
      'templates/web-app/main.tf': minimalTf,
      'workspaces/from-git/config.json': { template: 'git-app', deploy_schedule: '0 9 * * *' },
    });
    cleanups.push(config.cleanup);
    let gitHash = 'a'.repeat(64);
    const options = {
      defaultTimeZone: 'UTC',
      knownTemplates: new Set(['git-app']),
      registeredTemplates: () => new Map([['git-app', gitHash]]),
    };
    const { snapshot: first, units } = await loadConfigDirectory(config.dir, options);
    expect(first.problems).toEqual([]);
    const again = assembleSnapshot(config.dir, units, options);
    expect(again.workspaces.get('local')).toBe(first.workspaces.get('local'));
    expect(again.workspaces.get('from-git')).toBe(first.workspaces.get('from-git'));

    gitHash = 'b'.repeat(64);
    const refreshed = assembleSnapshot(config.dir, units, options);
    expect(refreshed.workspaces.get('local')).toBe(first.workspaces.get('local'));
    expect(refreshed.workspaces.get('from-git')).not.toBe(first.workspaces.get('from-git'));
    expect(refreshed.workspaces.get('from-git')?.contentHash).not.toBe(
      first.workspaces.get('from-git')?.contentHash,
    );
  });
});
