/**
 * A template from git end to end, with the real engine: a workspace names a template registered from a
 * bare repository; it deploys the pinned commit, keeps deploying it after the branch moves on, and
 * deploys the new commit only after `refresh`, whose new content hash is the workspace's too. Removing
 * the template is refused while the workspace uses it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestRepo, type TestRepo } from '../../src/template/test-git-repos.ts';
import { daemonHarness, type DaemonHarness } from '../helpers/daemon-harness.ts';

const harnesses: DaemonHarness[] = [];
const repos: TestRepo[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
  for (const repo of repos.splice(0)) repo.cleanup();
});

function templateTf(release: string): string {
  return `
variable "workspace" { type = string }
variable "mode" {
  type    = string
  default = "default"
}
resource "terraform_data" "release" { input = "${release}" }
output "release" { value = terraform_data.release.output }
`;
}

describe('templates from git with the real engine', () => {
  it('deploys the pinned commit until a refresh pins the new one', async () => {
    const repo = makeTestRepo('stacks');
    repos.push(repo);
    const first = repo.commit({ 'app/main.tf': templateTf('one') });
    const h = await daemonHarness(
      { 'workspaces/web/config.json': { enabled: true, template: 'app' } },
      '2027-06-01T10:00:00Z',
    );
    harnesses.push(h);
    const before = await h.api('GET', '/api/v1/workspaces/web');
    expect(before.body.config_error).toContain('template "app" does not exist');

    const added = await h.api('POST', '/api/v1/templates', {
      name: 'app',
      url: repo.fileUrl,
      subdir: 'app',
    });
    expect(added).toMatchObject({ status: 201, body: { commit: first, subdir: 'app' } });
    await h.daemon.watcher.reassemble();
    const loaded = await h.api('GET', '/api/v1/workspaces/web');
    expect(loaded.body).toMatchObject({ config_error: null, template: 'app' });
    const hashAtFirst = h.daemon.watcher.current().workspaces.get('web')?.definition?.contentHash;

    const deploy = async () => {
      const queued = await h.api('POST', '/api/v1/workspaces/web/deploy', {});
      expect(queued.status).toBe(202);
      const run = await h.finished(queued.body.id);
      expect(run).toMatchObject({ state: 'succeeded' });
      return (await h.api('GET', `/api/v1/runs/${run.id}`)).body.outputs;
    };
    expect(await deploy()).toEqual({ release: 'one' });

    const second = repo.commit({ 'app/main.tf': templateTf('two') });
    expect(await deploy()).toEqual({ release: 'one' });
    expect(h.daemon.watcher.current().workspaces.get('web')?.definition?.contentHash).toBe(hashAtFirst);

    const refreshed = await h.api('POST', '/api/v1/templates/app/refresh');
    expect(refreshed).toMatchObject({
      status: 200,
      body: { changed: true, previous_commit: first, template: { commit: second, used_by: ['web'] } },
    });
    await h.daemon.watcher.reassemble();
    expect(h.daemon.watcher.current().workspaces.get('web')?.definition?.contentHash).not.toBe(hashAtFirst);
    expect(await deploy()).toEqual({ release: 'two' });

    const removal = await h.api('DELETE', '/api/v1/templates/app');
    expect(removal).toMatchObject({
      status: 409,
      body: { error: { code: 'conflict', message: expect.stringContaining('in use by web') } },
    });
  }, 120_000);
});
