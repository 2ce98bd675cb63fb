import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTemplate } from '../config/config-model.ts';
import { writeWorkspace } from '../run/executor/test-fixtures.ts';
import { BACKEND_FILE, configuresBackend, dataDirLayout, prepareWorkdir, TFVARS_FILE } from './workdir.ts';

let root: string;
let template: LocalTemplate;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tide-workdir-'));
  const directory = path.join(root, 'templates', 'base');
  await mkdir(path.join(directory, 'modules', 'net'), { recursive: true });
  await writeFile(path.join(directory, 'main.tf'), '# template main\n');
  await writeFile(path.join(directory, 'variables.tf'), '# template variables\n');
  await writeFile(path.join(directory, 'modules', 'net', 'net.tf'), '# module\n');
  await writeFile(path.join(directory, 'run.sh'), '#!/bin/sh\n');
  await chmod(path.join(directory, 'run.sh'), 0o750);
  template = {
    name: 'base',
    directory,
    files: ['main.tf', 'modules/net/net.tf', 'run.sh', 'variables.tf'],
    contentHash: 'x',
  };
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const dataDir = () => path.join(root, 'data');
const stateAddress = (key: string) => `http://127.0.0.1:8080/api/v1/state/${key}`;
const declare = (...names: string[]) => names.map((name) => `variable "${name}" {}\n`).join('');

describe('prepareWorkdir', () => {
  it('copies the template, then the workspace files over it, keeping file modes and leaving out config.json', async () => {
    const workspace = await writeWorkspace(root, 'web', {
      'main.tf': '# workspace main\n',
      'extra.tf': '# extra\n',
    });
    const runDir = dataDirLayout.runDir(dataDir(), 'run-1');
    const { workDir } = await prepareWorkdir({
      runDir,
      stateAddress: stateAddress('web'),
      workspace,
      template,
    });
    expect(workDir).toBe(path.join(runDir, 'work'));
    expect(await readFile(path.join(workDir, 'main.tf'), 'utf8')).toBe('# workspace main\n');
    expect(await readFile(path.join(workDir, 'variables.tf'), 'utf8')).toBe('# template variables\n');
    expect(await readFile(path.join(workDir, 'modules/net/net.tf'), 'utf8')).toBe('# module\n');
    expect((await stat(path.join(workDir, 'run.sh'))).mode & 0o777).toBe(0o750);
    expect((await readdir(workDir)).sort()).toEqual(
      [BACKEND_FILE, 'extra.tf', 'main.tf', 'modules', 'run.sh', TFVARS_FILE, 'variables.tf'].sort(),
    );
  });

  it('starts from an empty directory every time: files of an earlier attempt are gone', async () => {
    const workspace = await writeWorkspace(root, 'fresh', { 'main.tf': '' });
    const runDir = dataDirLayout.runDir(dataDir(), 'run-2');
    const options = { runDir, stateAddress: stateAddress('fresh'), workspace };
    const first = await prepareWorkdir(options);
    await writeFile(path.join(first.workDir, 'stale.tfplan'), 'old plan');
    await mkdir(path.join(first.workDir, '.terraform'));
    const second = await prepareWorkdir(options);
    expect((await readdir(second.workDir)).sort()).toEqual([BACKEND_FILE, 'main.tf', TFVARS_FILE].sort());
  });

  it('writes workspace and mode variables plus workspace and mode, but not sensitive values', async () => {
    const workspace = await writeWorkspace(
      root,
      'vars',
      { 'main.tf': declare('size', 'region', 'db_password', 'api_key', 'workspace', 'mode') },
      {
        variables: { size: 1, region: 'eu', db_password: 'from-config' },
        modes: { busy: { size: 3 } },
        sensitiveVariables: ['db_password', 'api_key'],
      },
    );
    const prepared = await prepareWorkdir({
      runDir: dataDirLayout.runDir(dataDir(), 'run-3'),
      stateAddress: stateAddress('vars'),
      workspace,
      mode: 'busy',
      secrets: { api_key: 'sk-live-123456' },
    });
    const tfvars = JSON.parse(await readFile(path.join(prepared.workDir, TFVARS_FILE), 'utf8'));
    expect(tfvars).toEqual({ size: 3, region: 'eu', workspace: 'vars', mode: 'busy' });
    expect(prepared.env).toEqual({ TF_VAR_db_password: 'from-config', TF_VAR_api_key: 'sk-live-123456' });
    expect([...prepared.secretValues].sort()).toEqual(['from-config', 'sk-live-123456']);
    expect(prepared.undeclared).toEqual([]);
  });

  it('passes only the variables the code declares and names the configured ones it does not', async () => {
    const workspace = await writeWorkspace(
      root,
      'declared',
      {
        'main.tf': `${declare('size', 'workspace')}# variable "region" {}\n`,
        'extra.tf.json': '{"variable": {"api_key": {}}}',
      },
      {
        variables: { size: 1, region: 'eu' },
        modes: { busy: { replicas: 3 } },
        sensitiveVariables: ['db_password', 'api_key'],
      },
    );
    const prepared = await prepareWorkdir({
      runDir: dataDirLayout.runDir(dataDir(), 'run-9'),
      stateAddress: stateAddress('declared'),
      workspace,
      mode: 'busy',
      secrets: { api_key: 'sk-live-123456', db_password: 'hunter2-long' },
    });
    const tfvars = JSON.parse(await readFile(path.join(prepared.workDir, TFVARS_FILE), 'utf8'));
    expect(tfvars).toEqual({ size: 1, workspace: 'declared' });
    expect(prepared.env).toEqual({ TF_VAR_api_key: 'sk-live-123456' });
    // Tide's own `mode` is offered to any code: leaving it out is not worth a line in the log.
    expect(prepared.undeclared).toEqual(['db_password', 'region', 'replicas']);
  });

  it('passes every variable when the top level holds no engine code to tell by', async () => {
    const workspace = await writeWorkspace(
      root,
      'scripted',
      { 'deploy.sh': '#!/bin/sh\n' },
      { variables: { size: 1 } },
    );
    const prepared = await prepareWorkdir({
      runDir: dataDirLayout.runDir(dataDir(), 'run-10'),
      stateAddress: stateAddress('scripted'),
      workspace,
    });
    const tfvars = JSON.parse(await readFile(path.join(prepared.workDir, TFVARS_FILE), 'utf8'));
    expect(tfvars).toEqual({ size: 1, workspace: 'scripted', mode: 'default' });
    expect(prepared.undeclared).toEqual([]);
  });

  it('names the mode "default" when the run has none', async () => {
    const workspace = await writeWorkspace(root, 'plain', { 'main.tf': declare('workspace', 'mode') });
    const { workDir } = await prepareWorkdir({
      runDir: dataDirLayout.runDir(dataDir(), 'run-4'),
      stateAddress: stateAddress('plain'),
      workspace,
      mode: null,
    });
    expect(JSON.parse(await readFile(path.join(workDir, TFVARS_FILE), 'utf8'))).toEqual({
      workspace: 'plain',
      mode: 'default',
    });
  });

  it("passes a mode deploy's mode as `deployment_mode`, the Provisioner's variable, when the code declares it", async () => {
    const workspace = await writeWorkspace(root, 'moded', {
      'main.tf': declare('deployment_mode', 'mode'),
    });
    const tfvars = async (runId: string, mode: string | null) => {
      const { workDir } = await prepareWorkdir({
        runDir: dataDirLayout.runDir(dataDir(), runId),
        stateAddress: stateAddress('moded'),
        workspace,
        mode,
      });
      return JSON.parse(await readFile(path.join(workDir, TFVARS_FILE), 'utf8')) as unknown;
    };
    expect(await tfvars('run-mode-1', 'busy')).toEqual({ mode: 'busy', deployment_mode: 'busy' });
    // A deploy without a mode: the Provisioner passed nothing, and the code's default applies.
    expect(await tfvars('run-mode-2', null)).toEqual({ mode: 'default' });
    const undeclaring = await writeWorkspace(root, 'unmoded', { 'main.tf': declare('mode') });
    const { workDir } = await prepareWorkdir({
      runDir: dataDirLayout.runDir(dataDir(), 'run-mode-3'),
      stateAddress: stateAddress('unmoded'),
      workspace: undeclaring,
      mode: 'busy',
    });
    expect(JSON.parse(await readFile(path.join(workDir, TFVARS_FILE), 'utf8'))).toEqual({ mode: 'busy' });
  });

  it("points an http backend, locking included, at the workspace's state in Tide, with no credential in the file", async () => {
    const workspace = await writeWorkspace(root, 'stateful', { 'main.tf': '' });
    const runDir = dataDirLayout.runDir(dataDir(), 'run-5');
    const address = 'http://127.0.0.1:8080/api/v1/state/stateful';
    const { workDir, tideBackend } = await prepareWorkdir({ runDir, stateAddress: address, workspace });
    expect(tideBackend).toBe(true);
    const block = await readFile(path.join(workDir, BACKEND_FILE), 'utf8');
    expect(block).toContain('backend "http"');
    for (const setting of ['address', 'lock_address', 'unlock_address'])
      expect(block).toMatch(new RegExp(`${setting} += "${address}"`));
    expect(block).not.toMatch(/username|password/);
  });

  it('writes no backend file when the code configures its own backend', async () => {
    const workspace = await writeWorkspace(root, 'remote', {
      'main.tf': '# backend "local" in a comment does not count\n',
      'backend.tf': 'terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n}\n',
    });
    const { workDir, tideBackend } = await prepareWorkdir({
      runDir: dataDirLayout.runDir(dataDir(), 'run-6'),
      stateAddress: stateAddress('remote'),
      workspace,
    });
    expect(tideBackend).toBe(false);
    expect(await readdir(workDir)).not.toContain(BACKEND_FILE);
  });

  it('does not count a backend mentioned only in a comment', async () => {
    const dir = await mkdtemp(path.join(root, 'scan-'));
    await writeFile(
      path.join(dir, 'main.tf'),
      '# backend "s3" {}\n/* backend "gcs" {} */\nresource "x" "y" {}\n',
    );
    expect(await configuresBackend(dir)).toBe(false);
  });

  it('never follows a symbolic link in the source', async () => {
    const workspace = await writeWorkspace(root, 'linked', { 'main.tf': '' });
    await symlink('/etc/passwd', path.join(workspace.directory, 'passwd.tf'));
    const { workDir } = await prepareWorkdir({
      runDir: dataDirLayout.runDir(dataDir(), 'run-7'),
      stateAddress: stateAddress('linked'),
      workspace: { ...workspace, files: [...workspace.files, 'passwd.tf'] },
    });
    expect(await readdir(workDir)).not.toContain('passwd.tf');
  });

  it('refuses a file path that escapes the working directory', async () => {
    const workspace = await writeWorkspace(root, 'escape', { 'main.tf': '' });
    await expect(
      prepareWorkdir({
        runDir: dataDirLayout.runDir(dataDir(), 'run-8'),
        stateAddress: stateAddress('escape'),
        workspace: { ...workspace, files: ['../../outside.tf'] },
      }),
    ).rejects.toThrow(/outside the working directory/);
  });
});
