import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { startStateBackendServer, type StateBackendServer } from '../../test/helpers/state-backend-server.ts';
import type { WorkspaceDefinition } from '../config/config-model.ts';
import { engineCommand, testEngine, testEnv } from '../engine/test-engine.ts';
import { EventHub } from '../events/event-hub.ts';
import { executeRun } from '../run/executor/run-executor.ts';
import { silentLogger, writeWorkspace } from '../run/executor/test-fixtures.ts';
import { claimNextQueued } from '../run/run.repo.ts';
import { RunService } from '../run/run.service.ts';
import { makeKeyring } from '../secrets/encryption-key.ts';
import { latestStateVersion, listStateVersions } from '../state/state.repo.ts';
import { systemClock } from '../time/clock.ts';
import { getWorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { readProvisionerInstallation } from './provisioner-files.ts';
import { importProvisioner, type ImportOptions, type TemplateImporter } from './provisioner-import.ts';

const MAIN_TF = `
resource "terraform_data" "app" {
  input = "provisioned"
  provisioner "local-exec" { command = "echo created > \${path.module}/created-marker" }
}
output "value" { value = terraform_data.app.output }
`;

let root: string;
let stateDir: string;
/** The serial `terraform apply` left in the state file. */
let serial: number;

/** A Provisioner state directory as it documents it, with state written by a real `terraform apply`. */
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'tide-provisioner-import-'));
  stateDir = path.join(root, 'var-lib-provisioner');
  const app = path.join(stateDir, 'deployments', 'app');
  await mkdir(app, { recursive: true });
  await writeFile(path.join(app, 'main.tf'), MAIN_TF);
  await engineCommand(app, ['init', '-input=false', '-no-color']);
  await engineCommand(app, ['apply', '-auto-approve', '-input=false', '-no-color']);
  serial = (JSON.parse(await readFile(path.join(app, 'terraform.tfstate'), 'utf8')) as { serial: number })
    .serial;
  // The older layout (`<state>/<ws>/terraform.tfstate`), still read by the Provisioner.
  await mkdir(path.join(stateDir, 'legacy'));
  await copyFile(path.join(app, 'terraform.tfstate'), path.join(stateDir, 'legacy', 'terraform.tfstate'));
  await writeFile(
    path.join(stateDir, 'scheduler.json'),
    JSON.stringify({
      workspaces: {
        app: {
          name: 'app',
          status: 'deployed',
          last_deployed: '2025-09-15T09:00:00.123456789Z',
          deployment_mode: 'busy',
          last_destroyed: '2025-09-14T18:00:00Z',
        },
        legacy: { name: 'legacy', status: 'deploying', last_deployed: '0001-01-01T00:00:00Z' },
        idle: { name: 'idle', status: 'destroyed', last_destroyed: '2025-09-14T18:00:00Z' },
      },
      last_updated: '2025-09-15T10:30:00Z',
    }),
  );
  await writeFile(
    path.join(stateDir, 'jobs.json'),
    JSON.stringify({
      jobs: {
        'app:backup': {
          name: 'backup',
          workspace_id: 'app',
          status: 'success',
          run_count: 3,
          success_count: 3,
        },
      },
    }),
  );
  await mkdir(path.join(stateDir, 'templates'));
  await writeFile(
    path.join(stateDir, 'templates', 'registry.json'),
    JSON.stringify({
      templates: {
        'web-app-v2': {
          name: 'web-app-v2',
          source_url: 'https://github.com/org/terraform-templates',
          source_path: 'workspaces/web-app',
          source_ref: 'v2.1.0',
        },
      },
    }),
  );
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

forEachDialect('adopting a Provisioner installation', (harness) => {
  const keyring = makeKeyring(randomBytes(32));
  let server: StateBackendServer;
  beforeAll(async () => {
    server = await startStateBackendServer(harness.db, systemClock, keyring);
  });
  afterAll(async () => {
    await server.close();
  });

  const registered: string[] = [];
  const templateImporter: TemplateImporter = {
    importTemplate: async (template, actor) => {
      registered.push(`${template.name} ${template.url} ${template.ref} ${template.subdir} by ${actor}`);
      return { imported: true };
    },
  };
  const run = async (apply: boolean, overrides: Partial<ImportOptions> = {}) =>
    importProvisioner(await readProvisionerInstallation(stateDir), {
      db: harness.db,
      keyring,
      apply,
      now: new Date('2026-01-05T08:00:00Z'),
      templateImporter,
      actor: 'test',
      ...overrides,
    });
  const outcomes = (report: Awaited<ReturnType<typeof run>>) =>
    report.items.map((item) => `${item.kind} ${item.name}: ${item.outcome}`);

  it('writes nothing on a dry run, and says what it would import', async () => {
    const report = await run(false);
    expect(outcomes(report)).toEqual([
      'state app: would_import',
      'status app: would_import',
      'status idle: would_import',
      'state legacy: would_import',
      'status legacy: would_import',
      'template web-app-v2: would_import',
      'job app:backup: not_imported',
    ]);
    expect(await latestStateVersion(harness.db, 'app')).toBeNull();
    expect(await getWorkspaceStatus(harness.db, 'app')).toBeNull();
    expect(registered).toEqual([]);
  });

  it('imports state as the first version and the observed status; a plan through Tide then shows no changes; a re-run imports nothing again', async () => {
    const report = await run(true);
    expect(outcomes(report)).toEqual([
      'state app: imported',
      'status app: imported',
      'status idle: imported',
      'state legacy: imported',
      'status legacy: imported',
      'template web-app-v2: imported',
      'job app:backup: not_imported',
    ]);
    expect(report.items.find((i) => i.kind === 'status' && i.name === 'app')?.detail).toBe(
      'deployed, mode busy; last deployed 2025-09-15T09:00:00.123Z, last destroyed 2025-09-14T18:00:00.000Z',
    );
    expect(report.items.find((i) => i.kind === 'status' && i.name === 'legacy')?.detail).toBe(
      'deploy_failed (was "deploying": the Provisioner stopped mid-run); last deployed never, last destroyed never',
    );
    expect(report.items.find((i) => i.kind === 'state' && i.name === 'app')?.detail).toBe(
      `deployments/app/terraform.tfstate: serial ${serial}, 1 resource`,
    );
    expect(registered).toEqual([
      'web-app-v2 https://github.com/org/terraform-templates v2.1.0 workspaces/web-app by test',
    ]);
    const versions = await listStateVersions(harness.db, 'app', { limit: 10 });
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({
      serial,
      written_by: 'import:provisioner:deployments/app/terraform.tfstate',
    });
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({
      status: 'deployed',
      mode: 'busy',
      deployed_at: '2025-09-15T09:00:00.123Z',
      destroyed_at: '2025-09-14T18:00:00.000Z',
      status_changed_at: '2025-09-15T09:00:00.123Z',
    });
    // Killed mid-deploy: that deploy failed. Go's zero time is "never".
    expect(await getWorkspaceStatus(harness.db, 'legacy')).toMatchObject({
      status: 'deploy_failed',
      deployed_at: null,
    });
    expect(await getWorkspaceStatus(harness.db, 'idle')).toMatchObject({ status: 'destroyed' });

    // Tide's own plan run of the same code, with state from its backend: nothing to create or change.
    const configRoot = await mkdtemp(path.join(root, 'config-'));
    const workspace: WorkspaceDefinition = await writeWorkspace(configRoot, 'app', { 'main.tf': MAIN_TF });
    const service = new RunService({ db: harness.db, hub: new EventHub(), clock: systemClock });
    const queued = await service.enqueue({ workspace: 'app', action: 'plan', trigger: 'manual' });
    const claimed = await claimNextQueued(harness.db, {
      owner: 'import-test',
      leaseMs: 30_000,
      clock: systemClock,
    });
    expect(claimed?.id).toBe(queued.id);
    const planned = await executeRun(claimed!, {
      db: harness.db,
      hub: new EventHub(),
      clock: systemClock,
      logger: silentLogger,
      dataDir: await mkdtemp(path.join(root, 'data-')),
      engine: await testEngine(),
      stateBackend: server.endpoint,
      leaseMs: 30_000,
      resolveWorkspace: (name) => (name === 'app' ? workspace : undefined),
      resolveJob: () => undefined,
      resolveTemplate: () => undefined,
      resolveSecrets: async () => ({}),
      baseEnv: testEnv,
      graceMs: 3_000,
    });
    expect(planned).toMatchObject({ state: 'succeeded', plan_summary: { add: 0, change: 0, destroy: 0 } });

    // Idempotent: a re-run imports nothing again and says what is already there.
    const again = await run(true, { templateImporter: undefined });
    expect(outcomes(again)).toEqual([
      'state app: already_imported',
      'status app: already_imported',
      'status idle: already_imported',
      'state legacy: already_imported',
      'status legacy: already_imported',
      'template web-app-v2: not_imported',
      'job app:backup: not_imported',
    ]);
    expect(await listStateVersions(harness.db, 'app', { limit: 10 })).toHaveLength(1);
    const template = again.items.find((item) => item.kind === 'template')!;
    expect(template.detail).toBe(
      'https://github.com/org/terraform-templates at v2.1.0, workspaces/web-app/: git templates are registered with `tide template add`',
    );
    expect(template.command).toBe(
      'tide template add web-app-v2 https://github.com/org/terraform-templates --ref v2.1.0 --path workspaces/web-app',
    );
  });

  it('never replaces state Tide already holds, and leaves out workspaces the config directory lacks', async () => {
    await run(true);
    const report = await importProvisioner(
      {
        stateDir,
        scheduler: new Map(),
        jobs: [],
        templates: [],
        states: [
          {
            key: 'app',
            workspace: 'app',
            job: null,
            file: 'app.tfstate',
            content: Buffer.from('{"serial":9,"lineage":"other"}'),
          },
          { key: 'Bad_Name', workspace: 'Bad_Name', job: null, file: 'b.tfstate', content: Buffer.from('') },
          {
            key: 'elsewhere',
            workspace: 'elsewhere',
            job: null,
            file: 'e.tfstate',
            content: Buffer.from(''),
          },
        ],
        problems: [],
      },
      {
        db: harness.db,
        keyring,
        apply: true,
        now: new Date(),
        actor: 'test',
        configWorkspaces: { directory: '/etc/tide', names: new Set(['app', 'Bad_Name']) },
      },
    );
    expect(report.items.map((item) => `${item.kind} ${item.name}: ${item.outcome}: ${item.detail}`)).toEqual([
      'state Bad_Name: not_imported: not a valid Tide workspace name (lower-case letters, digits and "-"): rename it in both tools first',
      'status Bad_Name: not_imported: not a valid Tide workspace name (lower-case letters, digits and "-"): rename it in both tools first',
      `state app: not_imported: app.tfstate: serial 9, 0 resources: Tide already holds other state for it (serial ${serial}), which is never replaced`,
      'status app: already_imported: Tide already has a status for it (deployed), which is kept',
      'state elsewhere: not_imported: no valid workspace "elsewhere" in /etc/tide (tide validate says why)',
      'status elsewhere: not_imported: no valid workspace "elsewhere" in /etc/tide (tide validate says why)',
    ]);
  });
});
