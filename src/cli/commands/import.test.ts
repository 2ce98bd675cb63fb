import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeConfigDir, workspaceFiles } from '../../../test/helpers/config-dir.ts';
import { runTideInProcess as tide } from '../../../test/helpers/run-cli.ts';
import type { ImportReport } from '../../provisioner-import/provisioner-import.ts';
import { makeTestRepo } from '../../template/test-git-repos.ts';

const state = (serial: number) =>
  JSON.stringify({
    version: 4,
    terraform_version: '1.9.0',
    serial,
    lineage: 'lin-1',
    outputs: {},
    resources: [],
  });

let root: string;
let dataDir: string;
let stateDir: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tide-import-cli-'));
  dataDir = path.join(root, 'data');
  stateDir = path.join(root, 'provisioner');
  await mkdir(path.join(stateDir, 'deployments', 'web'), { recursive: true });
  await writeFile(path.join(stateDir, 'deployments', 'web', 'terraform.tfstate'), state(4));
  await writeFile(
    path.join(stateDir, 'scheduler.json'),
    JSON.stringify({
      workspaces: { web: { name: 'web', status: 'deployed', last_deployed: '2025-09-15T09:00:00Z' } },
    }),
  );
});
afterEach(() => rm(root, { recursive: true, force: true }));

const importCli = (...args: string[]) =>
  tide(['import', 'provisioner', stateDir, '--data-dir', dataDir, ...args], { env: {} });
const migrate = async () => expect((await tide(['db', 'migrate', '--data-dir', dataDir])).status).toBe(0);

describe('tide import provisioner', () => {
  it('reports what a dry run would import, writing nothing (not even a key)', async () => {
    await migrate();
    const result = await importCli();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.split('\n').map((line) => line.replace(/ +/g, ' '))).toEqual([
      `Provisioner installation ${stateDir}: dry run, nothing written (add --apply to import)`,
      'state web would import deployments/web/terraform.tfstate: serial 4, 0 resources',
      'status web would import deployed; last deployed 2025-09-15T09:00:00.000Z, last destroyed never',
      '2 to import, 0 already imported, 0 not imported',
      '',
    ]);
    expect(existsSync(path.join(dataDir, 'encryption-key'))).toBe(false);
    expect((await importCli()).stdout).toContain('2 to import');
  });

  it('imports with --apply, then says it is already imported, as JSON too', async () => {
    await migrate();
    const applied = await importCli('--apply', '--json');
    expect(applied.status).toBe(0);
    const report = JSON.parse(applied.stdout) as ImportReport;
    expect(report).toMatchObject({ applied: true, state_dir: stateDir });
    expect(report.items.map((item) => `${item.kind} ${item.name} ${item.outcome}`)).toEqual([
      'state web imported',
      'status web imported',
    ]);
    const again = await importCli('--apply');
    expect(again.stdout).toMatch(/^state +web +already imported +deployments\/web\/terraform\.tfstate/m);
    expect(again.stdout).toMatch(
      /^status +web +already imported +Tide already has a status for it \(deployed\)/m,
    );
    expect(again.stdout).toContain('0 imported, 2 already imported, 0 not imported');
  });

  it('names every bad or missing file, imports the rest, and exits 1', async () => {
    await migrate();
    await rm(path.join(stateDir, 'scheduler.json'));
    await mkdir(path.join(stateDir, 'deployments', 'broken'));
    await writeFile(path.join(stateDir, 'deployments', 'broken', 'terraform.tfstate'), '{"serial": "x"}');
    await mkdir(path.join(stateDir, 'templates'));
    await writeFile(path.join(stateDir, 'templates', 'registry.json'), '{"templates": ');
    await writeFile(path.join(stateDir, 'jobs.json'), JSON.stringify({ jobs: 'none' }));
    const result = await importCli('--json');
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as ImportReport;
    expect(report.items.map((item) => `${item.kind} ${item.name} ${item.outcome}: ${item.detail}`)).toEqual([
      'file scheduler.json not_imported: missing',
      'file jobs.json not_imported: jobs: Invalid input: expected record, received string',
      expect.stringMatching(/^file templates\/registry\.json not_imported: not valid JSON: /),
      'state broken not_imported: deployments/broken/terraform.tfstate: not a state file: the state has no serial (a non-negative integer)',
      'status broken would_import: no scheduler.json entry: destroyed, from the state file',
      'state web would_import: deployments/web/terraform.tfstate: serial 4, 0 resources',
      'status web would_import: no scheduler.json entry: destroyed, from the state file',
    ]);
  });

  it('imports only the workspaces of --config-dir, saying why the others are left out', async () => {
    await migrate();
    await mkdir(path.join(stateDir, 'deployments', 'api'));
    await writeFile(path.join(stateDir, 'deployments', 'api', 'terraform.tfstate'), state(1));
    const config = makeConfigDir(workspaceFiles('api', { enabled: true }));
    try {
      const result = await importCli('--config-dir', config.dir);
      expect(result.stdout).toMatch(/^state +api +would import/m);
      expect(result.stdout).toMatch(
        new RegExp(
          `^state +web +not imported +no valid workspace "web" in ${config.dir} \\(tide validate says why\\)`,
          'm',
        ),
      );
    } finally {
      config.cleanup();
    }
  });

  it('fails with one line when the state directory does not exist, or the database is not migrated', async () => {
    const missing = await tide(['import', 'provisioner', path.join(root, 'nope'), '--data-dir', dataDir]);
    expect(missing).toMatchObject({
      status: 3,
      stderr: `tide: Provisioner state directory ${path.join(root, 'nope')} does not exist\n`,
    });
    const unmigrated = await importCli();
    expect(unmigrated.status).toBe(5);
    expect(unmigrated.stderr).toMatch(
      /is not migrated: run tide db migrate \(or start tide serve\) first\n$/,
    );
  });

  it("registers the Provisioner registry's git templates with --apply, pinned to the commit their ref names", async () => {
    const repo = makeTestRepo('web-templates');
    try {
      const commit = repo.commit({ 'app/main.tf': 'resource "terraform_data" "app" {}\n' });
      await mkdir(path.join(stateDir, 'templates'), { recursive: true });
      await writeFile(
        path.join(stateDir, 'templates', 'registry.json'),
        JSON.stringify({
          templates: {
            'web-app': { name: 'web-app', source_url: repo.fileUrl, source_path: '/app', source_ref: 'main' },
            gone: { name: 'gone', source_url: `${repo.fileUrl}-missing`, source_ref: 'main' },
          },
        }),
      );
      await migrate();
      const dry = await importCli();
      expect(dry.stdout).toMatch(/^template +web-app +would import/m);
      const applied = await importCli('--apply', '--json');
      const report = JSON.parse(applied.stdout) as ImportReport;
      const templates = report.items.filter((item) => item.kind === 'template');
      expect(templates.map((item) => `${item.name} ${item.outcome}`)).toEqual([
        'gone not_imported',
        'web-app imported',
      ]);
      expect(templates[1]?.detail).toContain(commit);
      expect(templates[0]?.command).toContain('tide template add gone');
      const again = await importCli('--apply');
      expect(again.stdout).toMatch(/^template +web-app +already imported/m);
    } finally {
      repo.cleanup();
    }
  });
});
