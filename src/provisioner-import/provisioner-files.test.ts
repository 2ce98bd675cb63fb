import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readProvisionerInstallation } from './provisioner-files.ts';

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'tide-provisioner-files-'));
});
afterEach(() => rm(stateDir, { recursive: true, force: true }));

async function put(relative: string, content: string | object): Promise<void> {
  const file = path.join(stateDir, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
}

describe("reading a Provisioner's state directory", () => {
  it("finds workspace state in both layouts and template jobs' state under deployments/<ws>/jobs/", async () => {
    await put('scheduler.json', { workspaces: null });
    await put('deployments/web/terraform.tfstate', '{}');
    await put('deployments/web/jobs/network/terraform.tfstate', '{}');
    await put('deployments/web/jobs/empty/.keep', '');
    await put('old/terraform.tfstate', '{}');
    await put('templates/dev/main.tf', '');
    const installation = await readProvisionerInstallation(stateDir);
    expect(installation.states.map((s) => [s.key, s.workspace, s.job, s.file])).toEqual([
      ['_jobs/web/network', 'web', 'network', 'deployments/web/jobs/network/terraform.tfstate'],
      ['old', 'old', null, 'old/terraform.tfstate'],
      ['web', 'web', null, 'deployments/web/terraform.tfstate'],
    ]);
    expect(installation.problems).toEqual([]);
  });

  it('ignores an older-layout file of a workspace that has a current working directory, saying so', async () => {
    await put('scheduler.json', {});
    await put('deployments/web/terraform.tfstate', '{}');
    await put('web/terraform.tfstate', '{}');
    const installation = await readProvisionerInstallation(stateDir);
    expect(installation.states.map((s) => s.file)).toEqual(['deployments/web/terraform.tfstate']);
    expect(installation.problems).toEqual([
      {
        file: 'web/terraform.tfstate',
        message: "older layout, ignored: deployments/web/ is the workspace's current working directory",
      },
    ]);
  });

  it('names a file that exists but cannot be read', async () => {
    await put('scheduler.json', {});
    await mkdir(path.join(stateDir, 'deployments', 'web', 'terraform.tfstate'), { recursive: true });
    await mkdir(path.join(stateDir, 'jobs.json'));
    const installation = await readProvisionerInstallation(stateDir);
    expect(installation.states).toEqual([]);
    expect(installation.problems).toEqual([
      { file: 'jobs.json', message: 'cannot be read (EISDIR)' },
      { file: 'deployments/web/terraform.tfstate', message: 'cannot be read (EISDIR)' },
    ]);
  });

  it('keeps the valid entries of scheduler.json and registry.json and names the others', async () => {
    await put('scheduler.json', {
      workspaces: {
        web: { status: 'deployed', last_deployed: '2025-09-15T09:00:00Z', deployment_mode: 'busy' },
        odd: { status: 'sleeping' },
      },
    });
    await put('templates/registry.json', {
      templates: {
        'dev-server': { source_url: 'file:///provisioner/examples/templates/dev-server' },
        pinned: {
          source_url: 'https://git.example/t.git',
          source_ref: 'v1',
          source_path: 'web',
          description: 'Web',
        },
        broken: { source_ref: 'main' },
      },
    });
    await put('jobs.json', {
      jobs: {
        'web:b': { status: 'failed', last_run: '', run_count: 2 },
        'web:a': { status: 'success', last_success: '2025-09-15T02:00:00Z' },
      },
    });
    const installation = await readProvisionerInstallation(stateDir);
    expect([...installation.scheduler.keys()]).toEqual(['web']);
    expect(installation.scheduler.get('web')).toMatchObject({
      status: 'deployed',
      deployment_mode: 'busy',
      last_deployed: new Date('2025-09-15T09:00:00Z'),
      last_destroyed: null,
    });
    expect(installation.templates).toEqual([
      {
        name: 'dev-server',
        url: 'file:///provisioner/examples/templates/dev-server',
        ref: 'main',
        subdir: null,
        description: null,
      },
      { name: 'pinned', url: 'https://git.example/t.git', ref: 'v1', subdir: 'web', description: 'Web' },
    ]);
    expect(installation.jobs.map((job) => [job.key, job.last_run])).toEqual([
      ['web:a', null],
      ['web:b', null],
    ]);
    expect(installation.problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      expect.stringMatching(/^scheduler\.json: workspaces\.odd: status: /),
      expect.stringMatching(/^templates\/registry\.json: templates\.broken: source_url: /),
    ]);
  });

  it('names a scheduler.json or registry.json of the wrong shape', async () => {
    await put('scheduler.json', '[1]');
    await put('templates/registry.json', { templates: 'all' });
    const installation = await readProvisionerInstallation(stateDir);
    expect(installation.problems.map((p) => `${p.file}: ${p.message}`)).toEqual([
      expect.stringMatching(/^scheduler\.json: \(top\): /),
      expect.stringMatching(/^templates\/registry\.json: templates: /),
    ]);
  });
});
