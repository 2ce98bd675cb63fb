import { access, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { forEachDialect } from '../../../test/helpers/databases.ts';
import {
  startStateBackendServer,
  type StateBackendServer,
} from '../../../test/helpers/state-backend-server.ts';
import { failWorkspaceStatusUpdates } from '../../../test/helpers/failing-updates.ts';
import type { JobDefinition, LocalTemplate, WorkspaceDefinition } from '../../config/config-model.ts';
import { defaultPolicy } from '../../config/config-model.ts';
import { TideError } from '../../errors/tide-error.ts';
import type { Engine } from '../../engine/engine.ts';
import { groupExists } from '../../engine/process-group.ts';
import { testEngine, testEnv } from '../../engine/test-engine.ts';
import { EventHub } from '../../events/event-hub.ts';
import { systemClock } from '../../time/clock.ts';
import { getWorkspaceStatus } from '../../workspace/workspace-status.repo.ts';
import { readLogChunks } from '../run-log.repo.ts';
import { reapOrphans } from '../orphan-reaper.ts';
import { claimNextQueued, getRun, listRuns } from '../run.repo.ts';
import { RunService, type EnqueueRequest } from '../run.service.ts';
import type { Run } from '../run.ts';
import type { DriftDetected } from '../../drift/drift-notifier.ts';
import { executeRun, type ExecutorContext } from './run-executor.ts';
import { jobDefinition, silentLogger, writeWorkspace } from './test-fixtures.ts';

const TOKEN = 'tok-9f8e7d6c5b4a';

/** One terraform_data resource whose local-exec prints the token, records its process group, optionally
 * sleeps or fails, and touches a marker file; a destroy-time provisioner removes the marker. */
function stack(options: { sleep?: number; fail?: boolean } = {}): string {
  const create = [
    'echo using token ${nonsensitive(var.api_token)}',
    'ps -o pgid= $$ | tr -d " " > ${var.marker_dir}/pgid',
    options.sleep ? `echo sleeping-now; sleep ${options.sleep}` : 'true',
    options.fail ? 'echo boom >&2; exit 3' : 'touch ${self.input}',
  ].join('; ');
  return `
variable "workspace" { type = string }
variable "mode" { type = string }
variable "marker_dir" { type = string }
variable "api_token" {
  type      = string
  sensitive = true
}
resource "terraform_data" "app" {
  input = "\${var.marker_dir}/marker-\${var.workspace}"
  provisioner "local-exec" { command = "${create.replaceAll('"', '\\"')}" }
  provisioner "local-exec" {
    when    = destroy
    command = "rm -f \${self.output}"
  }
}
output "marker" { value = terraform_data.app.output }
output "token" {
  value     = var.api_token
  sensitive = true
}
`;
}

forEachDialect('executing a run with the real engine', (harness) => {
  let root: string;
  let dataDir: string;
  let markers: string;
  let engine: Engine;
  let stateServer: StateBackendServer;
  let hub: EventHub;
  let service: RunService;
  const workspaces = new Map<string, WorkspaceDefinition>();
  const jobs = new Map<string, JobDefinition>();
  const templates = new Map<string, LocalTemplate>();

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'tide-executor-'));
    engine = await testEngine();
    stateServer = await startStateBackendServer(harness.db);
  });
  afterAll(async () => {
    await stateServer.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(root, 'data-'));
    markers = await mkdtemp(path.join(root, 'markers-'));
    hub = new EventHub();
    service = new RunService({ db: harness.db, hub, clock: systemClock });
    workspaces.clear();
    jobs.clear();
    templates.clear();
  });

  async function addWorkspace(name: string, hcl: string, overrides: Partial<WorkspaceDefinition> = {}) {
    const workspace = await writeWorkspace(
      await mkdtemp(path.join(root, 'config-')),
      name,
      { 'main.tf': hcl },
      { variables: { marker_dir: markers }, sensitiveVariables: ['api_token'], ...overrides },
    );
    workspaces.set(name, workspace);
    return workspace;
  }

  function context(overrides: Partial<ExecutorContext> = {}): ExecutorContext {
    return {
      db: harness.db,
      hub,
      clock: systemClock,
      logger: silentLogger,
      dataDir,
      engine,
      stateBackend: stateServer.endpoint,
      leaseMs: 30_000,
      resolveWorkspace: (name) => workspaces.get(name),
      resolveJob: (workspace, job) => jobs.get(`${workspace}/${job}`),
      resolveTemplate: (name) => templates.get(name),
      resolveSecrets: async () => ({ api_token: TOKEN }),
      baseEnv: testEnv,
      graceMs: 3_000,
      ...overrides,
    };
  }

  async function run(request: Omit<EnqueueRequest, 'trigger'>, ctx = context()): Promise<Run> {
    const queued = await service.enqueue({ trigger: 'manual', ...request });
    const claimed = await claimNextQueued(harness.db, {
      owner: 'runner-test',
      leaseMs: ctx.leaseMs,
      clock: systemClock,
    });
    expect(claimed?.id).toBe(queued.id);
    return executeRun(claimed!, ctx);
  }

  /** Starts the run, cancels it once its log shows `line`, and returns its final state. */
  async function cancelAt(line: string, request: Omit<EnqueueRequest, 'trigger'>): Promise<Run> {
    const reached = nextLogLine(line);
    const execution = run(request);
    await service.cancel(await reached, 'alice');
    return execution;
  }

  /** A command that replaces an engine step, prints `waiting-here` and then waits to be canceled. */
  const waitHere = { init_command: 'echo waiting-here; sleep 30' };

  async function logOf(runId: string): Promise<string> {
    return (await readLogChunks(harness.db, runId)).map((chunk) => chunk.content).join('');
  }

  const exists = (file: string) =>
    access(file).then(
      () => true,
      () => false,
    );

  /** Files under `dir` whose bytes contain `text`. */
  async function filesContaining(dir: string, text: string): Promise<string[]> {
    const found: string[] = [];
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      if ((await readFile(file)).includes(text)) found.push(file);
    }
    return found;
  }

  function nextLogLine(match: string): Promise<Run['id']> {
    return new Promise((resolve) => {
      const listener = (event: { runId: string; lines: readonly string[] }) => {
        if (!event.lines.some((line) => line.includes(match))) return;
        hub.off('run.log', listener);
        resolve(event.runId);
      };
      hub.on('run.log', listener);
    });
  }

  it("deploys: succeeded, state in Tide's backend, outputs and plan summary stored, log masked, no secret on disk", async () => {
    await addWorkspace('app', stack());
    const final = await run({ workspace: 'app', action: 'deploy', configHash: 'hash-of-app' });
    expect(final).toMatchObject({ state: 'succeeded', exit_code: 0, reason: null, lease_expires_at: null });
    expect(final.plan_summary).toEqual({ add: 1, change: 0, destroy: 0 });
    expect(final.outputs).toEqual({ marker: path.join(markers, 'marker-app'), token: '(sensitive)' });
    expect(await exists(path.join(markers, 'marker-app'))).toBe(true);
    const state = await stateServer.history.describe('app');
    expect(state.versions[0]).toMatchObject({
      run_id: final.id,
      written_by: `run:${final.id}`,
      deleted: false,
    });
    const { content } = await stateServer.history.pull('app');
    expect(JSON.parse(content.toString('utf8')).resources[0]).toMatchObject({ type: 'terraform_data' });
    // The state holds the sensitive output in clear, which is why it lives encrypted in the database.
    expect(content.toString('utf8')).toContain(TOKEN);
    expect(await filesContaining(dataDir, TOKEN)).toEqual([]);
    expect(await readdir(path.join(dataDir, 'runs'))).toEqual([]);
    const log = await logOf(final.id);
    for (const step of ['prepare', 'init', 'plan', 'summarize', 'apply', 'outputs'])
      expect(log).toContain(`==> ${step}\n`);
    expect(log).toContain('Apply complete! Resources: 1 added');
    // The plan summary is the engine's own line, the outputs the state Tide stored: no extra engine call.
    expect(log).toContain('Plan: 1 to add, 0 to change, 0 to destroy.\n');
    expect(log).toContain('plan: 1 to add, 0 to change, 0 to destroy\n');
    expect(log).not.toContain(' show -json');
    expect(log).not.toContain(' output -json');
    expect(log).toContain('using token ***');
    expect(log).not.toContain(TOKEN);
    // What was deployed, so the scheduler can skip a repeat deploy of the same config.
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({
      status: 'deployed',
      mode: 'default',
      config_hash: 'hash-of-app',
    });
  });

  it('destroys: the destroy-time provisioner removes the marker, outputs cleared, status destroyed', async () => {
    await addWorkspace('app', stack());
    await run({ workspace: 'app', action: 'deploy' });
    const statuses: string[] = [];
    hub.on('workspace.status', (event) => statuses.push(event.status));
    const final = await run({ workspace: 'app', action: 'destroy' });
    expect(final).toMatchObject({
      state: 'succeeded',
      plan_summary: { add: 0, change: 0, destroy: 1 },
      outputs: {},
    });
    expect(await exists(path.join(markers, 'marker-app'))).toBe(false);
    expect(await logOf(final.id)).not.toContain(' show -json');
    expect(statuses).toEqual(['destroying', 'destroyed']);
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({
      status: 'destroyed',
      mode: null,
      config_hash: null,
    });
  });

  it("deploys in a mode: the mode's variables apply and the mode is recorded", async () => {
    await addWorkspace('app', stack(), { modes: { busy: { marker_dir: `${markers}/busy` } } });
    await mkdir(path.join(markers, 'busy'));
    const final = await run({ workspace: 'app', action: 'mode', mode: 'busy' });
    expect(final).toMatchObject({
      state: 'succeeded',
      outputs: { marker: path.join(markers, 'busy', 'marker-app') },
    });
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({ status: 'deployed', mode: 'busy' });
  });

  it('applies a template job as its own stack, with state apart from any workspace', async () => {
    const directory = await mkdtemp(path.join(root, 'template-'));
    await writeFile(
      path.join(directory, 'main.tf'),
      'variable "workspace" { type = string }\nvariable "mode" { type = string }\nresource "terraform_data" "snapshot" { input = var.workspace }\noutput "of" { value = terraform_data.snapshot.output }\n',
    );
    templates.set('snapshot', { name: 'snapshot', directory, files: ['main.tf'], contentHash: 'h' });
    jobs.set('_standalone_/snap', jobDefinition({ name: 'snap', type: 'template', template: 'snapshot' }));
    const final = await run({ workspace: '_standalone_', job: 'snap', action: 'job' });
    expect(final).toMatchObject({
      state: 'succeeded',
      plan_summary: { add: 1, change: 0, destroy: 0 },
      outputs: { of: 'snap' },
    });
    expect((await stateServer.history.describe('_jobs/_standalone_/snap')).total).toBe(1);
    expect((await stateServer.history.describe('_standalone_')).total).toBe(0);
  });

  it('fails with the step and the last stderr line as reason when a provisioner fails', async () => {
    await addWorkspace('broken', stack({ fail: true }));
    const final = await run({ workspace: 'broken', action: 'deploy' });
    expect(final).toMatchObject({ state: 'failed', exit_code: 1, outputs: null });
    expect(final.reason).toMatch(/^apply failed \(exit 1\): Error: local-exec provisioner error — .*boom$/);
    expect(final.reason).not.toContain(TOKEN);
    expect(await getWorkspaceStatus(harness.db, 'broken')).toMatchObject({ status: 'deploy_failed' });
  });

  it('runs a job command with its environment and the workspace outputs as TIDE_OUTPUT_*', async () => {
    await addWorkspace('app', stack());
    await run({ workspace: 'app', action: 'deploy' });
    const command =
      'echo "greeting=$GREETING ws=$TIDE_WORKSPACE/$WORKSPACE_ID job=$TIDE_JOB/$JOB_NAME run=$TIDE_RUN_ID"; echo "marker=$TIDE_OUTPUT_MARKER token=$TIDE_OUTPUT_TOKEN"';
    jobs.set(
      'app/report',
      jobDefinition({
        name: 'report',
        scope: 'app',
        workspace: 'app',
        command,
        environment: { GREETING: 'hi' },
      }),
    );
    const final = await run({ workspace: 'app', job: 'report', action: 'job' });
    expect(final).toMatchObject({ state: 'succeeded', exit_code: 0 });
    const log = await logOf(final.id);
    expect(log).toContain(`greeting=hi ws=app/app job=report/report run=${final.id}\n`);
    expect(log).toContain(`marker=${path.join(markers, 'marker-app')} token=(sensitive)\n`);
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({ status: 'deployed' });
  });

  it('hands the removal of the run directory to removeLater when given: the directory stays until it is called', async () => {
    jobs.set('_standalone_/tick', jobDefinition({ name: 'tick', command: 'true' }));
    const queued = await service.enqueue({
      trigger: 'manual',
      workspace: '_standalone_',
      job: 'tick',
      action: 'job',
    });
    const ctx = context();
    const claimed = await claimNextQueued(harness.db, {
      owner: 'runner-test',
      leaseMs: ctx.leaseMs,
      clock: systemClock,
    });
    let remove: (() => Promise<void>) | undefined;
    const final = await executeRun(claimed!, ctx, { removeLater: (later) => (remove = later) });
    expect(final.id).toBe(queued.id);
    expect(final.state).toBe('succeeded');
    expect(await readdir(path.join(dataDir, 'runs'))).toEqual([final.id]);
    await remove!();
    expect(await readdir(path.join(dataDir, 'runs'))).toEqual([]);
  });

  it('runs a script job with bash when it has no #! line, and an argv command without a shell', async () => {
    jobs.set(
      '_standalone_/script',
      jobDefinition({ name: 'script', type: 'script', script: 'if [[ 1 == 1 ]]; then echo "bash ran"; fi' }),
    );
    jobs.set('_standalone_/argv', jobDefinition({ name: 'argv', command: ['/bin/echo', 'a  b', '$HOME'] }));
    const script = await run({ workspace: '_standalone_', job: 'script', action: 'job' });
    const argv = await run({ workspace: '_standalone_', job: 'argv', action: 'job' });
    expect([script.state, argv.state]).toEqual(['succeeded', 'succeeded']);
    expect(await logOf(script.id)).toContain('bash ran\n');
    expect(await logOf(argv.id)).toContain('a  b $HOME\n');
  });

  it('fails a job whose command cannot be started, saying why', async () => {
    jobs.set('_standalone_/missing', jobDefinition({ name: 'missing', command: ['/no/such/tool'] }));
    const final = await run({ workspace: '_standalone_', job: 'missing', action: 'job' });
    expect(final).toMatchObject({ state: 'failed', exit_code: null });
    expect(final.reason).toBe(
      'job failed: cannot run /no/such/tool: no such file or directory (or its cwd is missing)',
    );
  });

  it('cancels during apply: SIGINT to the engine group, run canceled, no process left', async () => {
    await addWorkspace('slow', stack({ sleep: 30 }));
    const final = await cancelAt('sleeping-now', { workspace: 'slow', action: 'deploy' });
    expect(final).toMatchObject({ state: 'canceled', reason: 'canceled during apply' });
    const pgid = Number(await readFile(path.join(markers, 'pgid'), 'utf8'));
    expect(groupExists(pgid) && (await waitGone(pgid))).toBe(false);
    // The apply had begun: resources may be partly created, which is what deploy_failed says.
    expect(await getWorkspaceStatus(harness.db, 'slow')).toMatchObject({ status: 'deploy_failed' });
    expect(await logOf(final.id)).toContain('==> canceled\n');
  });

  it('puts the workspace back as it was when a deploy is canceled before its apply began', async () => {
    const workspace = await addWorkspace('app', stack());
    await run({ workspace: 'app', action: 'deploy' });
    workspaces.set('app', { ...workspace, customDeploy: waitHere });
    const statuses: string[] = [];
    hub.on('workspace.status', (event) => statuses.push(event.status));
    const final = await cancelAt('waiting-here', { workspace: 'app', action: 'deploy' });
    expect(final).toMatchObject({ state: 'canceled', reason: 'canceled during init' });
    expect(statuses).toEqual(['deploying', 'deployed']);
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({
      status: 'deployed',
      status_before_run: null,
      last_run_id: final.id,
    });
  });

  it('puts the workspace back as it was when a destroy is canceled before its apply began', async () => {
    const workspace = await addWorkspace('app', stack());
    await run({ workspace: 'app', action: 'deploy' });
    workspaces.set('app', { ...workspace, customDestroy: waitHere });
    const final = await cancelAt('waiting-here', { workspace: 'app', action: 'destroy' });
    expect(final).toMatchObject({ state: 'canceled', reason: 'canceled during init' });
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({ status: 'deployed' });
    expect(await exists(path.join(markers, 'marker-app'))).toBe(true);
  });

  it('leaves the run to the reaper, and its workspace deploying, when the final write fails', async () => {
    await addWorkspace('app', stack());
    const removeFailure = await failWorkspaceStatusUpdates(harness.db, 'deployed');
    try {
      const execution = run({ workspace: 'app', action: 'deploy' });
      await expect(execution).rejects.toThrow(/simulated crash/);
    } finally {
      await removeFailure();
    }
    // One transaction: the run's outcome was rolled back with the status write, so the pair still agrees.
    const [left] = (await listRuns(harness.db, { workspace: 'app' })).items;
    expect(left).toMatchObject({ state: 'running' });
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({ status: 'deploying' });
    await reapOrphans(harness.db, new Date(Date.now() + 60_000), hub);
    expect(await getRun(harness.db, left!.id)).toMatchObject({ state: 'failed', reason: 'orphaned' });
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({ status: 'deploy_failed' });
  });

  it('times out after the workspace policy timeout', async () => {
    await addWorkspace('slow', stack({ sleep: 30 }), { policy: { ...defaultPolicy, timeoutMs: 1_500 } });
    const final = await run({ workspace: 'slow', action: 'deploy' });
    expect(final).toMatchObject({ state: 'timed_out' });
    expect(final.reason).toMatch(/^timed out after 1500ms during (init|plan|apply)$/);
    expect(await getWorkspaceStatus(harness.db, 'slow')).toMatchObject({ status: 'deploy_failed' });
  });

  it('checks drift: an unchanged workspace is not drifted, a changed variable is', async () => {
    const workspace = await addWorkspace('app', stack());
    await run({ workspace: 'app', action: 'deploy' });
    const clean = await run({ workspace: 'app', action: 'plan' });
    expect(clean).toMatchObject({ state: 'succeeded', plan_summary: { add: 0, change: 0, destroy: 0 } });
    // "No changes." says it all; only a plan with changes is shown for its changed addresses.
    expect(await logOf(clean.id)).not.toContain(' show -json');
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({ status: 'deployed', drifted: false });
    workspaces.set('app', {
      ...workspace,
      variables: { ...workspace.variables, marker_dir: `${markers}/moved` },
    });
    const drifted = await run({ workspace: 'app', action: 'plan' });
    expect(drifted).toMatchObject({ state: 'succeeded', exit_code: 0 });
    expect(await logOf(drifted.id)).toContain(' show -json tide.tfplan\n');
    expect(await getWorkspaceStatus(harness.db, 'app')).toMatchObject({ status: 'deployed', drifted: true });
  });

  it('detects a drift made by hand on the real resource (a file outside the workspace the code reads) with a real plan; announces it once; a deploy clears it', async () => {
    // The "real resource" is a file outside the workspace folder: editing it changes neither the code
    // nor Tide's content hash, only what the engine's plan finds, as a change made in a console would.
    const resource = path.join(markers, 'real-resource.txt');
    await writeFile(resource, 'size=small');
    await addWorkspace(
      'watched',
      `
variable "marker_dir" { type = string }
resource "terraform_data" "watched" { input = file("\${var.marker_dir}/real-resource.txt") }
resource "terraform_data" "steady" { input = "steady" }
`,
    );
    const announced: DriftDetected[] = [];
    const ctx = context({ driftNotifier: async (_tx, drift) => void announced.push(drift) });
    await run({ workspace: 'watched', action: 'deploy' }, ctx);

    const clean = await run({ workspace: 'watched', action: 'plan' }, ctx);
    expect(clean).toMatchObject({ state: 'succeeded', plan_summary: { add: 0, change: 0, destroy: 0 } });
    expect(await getWorkspaceStatus(harness.db, 'watched')).toMatchObject({
      drifted: false,
      drift_checked_at: clean.finished_at,
      drift_run_id: clean.id,
      drift_summary: null,
      drift_addresses: [],
    });

    await writeFile(resource, 'size=large');
    const found = await run({ workspace: 'watched', action: 'plan' }, ctx);
    expect(found.state).toBe('succeeded');
    const drifted = await getWorkspaceStatus(harness.db, 'watched');
    expect(drifted).toMatchObject({
      status: 'deployed',
      drifted: true,
      drift_checked_at: found.finished_at,
      drift_since: found.finished_at,
      drift_run_id: found.id,
      drift_summary: found.plan_summary,
      drift_addresses: ['terraform_data.watched'],
    });
    expect(found.plan_summary!.add + found.plan_summary!.change).toBeGreaterThan(0);
    expect(announced).toEqual([
      {
        workspace: 'watched',
        run_id: found.id,
        summary: found.plan_summary,
        addresses: ['terraform_data.watched'],
      },
    ]);

    // Found again: still drifted since the first finding, not announced twice.
    const again = await run({ workspace: 'watched', action: 'plan' }, ctx);
    expect(await getWorkspaceStatus(harness.db, 'watched')).toMatchObject({
      drifted: true,
      drift_since: found.finished_at,
      drift_run_id: again.id,
    });
    expect(announced).toHaveLength(1);

    await run({ workspace: 'watched', action: 'deploy' }, ctx);
    expect(await getWorkspaceStatus(harness.db, 'watched')).toMatchObject({
      status: 'deployed',
      drifted: false,
      drift_since: null,
      drift_summary: null,
      drift_addresses: [],
    });
    const after = await run({ workspace: 'watched', action: 'plan' }, ctx);
    expect(after).toMatchObject({ state: 'succeeded', plan_summary: { add: 0, change: 0, destroy: 0 } });
  });

  it('leaves the drift status of a workspace that is not deployed alone (a manual plan of nothing)', async () => {
    await addWorkspace('never', stack());
    const plan = await run({ workspace: 'never', action: 'plan' });
    expect(plan.state).toBe('succeeded');
    expect(await getWorkspaceStatus(harness.db, 'never')).toBeNull();
  });

  it('runs custom_deploy commands in place of their steps, with the engine in $TIDE_ENGINE', async () => {
    await addWorkspace('custom', stack(), {
      customDeploy: {
        init_command: 'echo custom-init for $TIDE_WORKSPACE && "$TIDE_ENGINE" init -input=false -no-color',
      },
    });
    const final = await run({ workspace: 'custom', action: 'deploy' });
    expect(final.state).toBe('succeeded');
    expect(await logOf(final.id)).toContain('custom-init for custom\n');
  });

  it('asks show -json for the summary of a custom plan command, and output -json for a backend the code configures', async () => {
    const local = 'terraform {\n  backend "local" {}\n}\n';
    await addWorkspace('own', `${local}${stack()}`, {
      customDeploy: { plan_command: '"$TIDE_ENGINE" plan -input=false -no-color -out=tide.tfplan' },
    });
    const final = await run({ workspace: 'own', action: 'deploy' });
    expect(final).toMatchObject({
      state: 'succeeded',
      plan_summary: { add: 1, change: 0, destroy: 0 },
      outputs: { marker: path.join(markers, 'marker-own'), token: '(sensitive)' },
    });
    const log = await logOf(final.id);
    expect(log).toContain(' show -json tide.tfplan\n');
    expect(log).toContain(' output -json\n');
  });

  it('stores the errored.tfstate an apply left when the state could not be saved', async () => {
    const errored = JSON.stringify({ version: 4, serial: 7, lineage: 'rescued', resources: [{ name: 'x' }] });
    await addWorkspace('rescue', stack(), {
      customDeploy: { apply_command: `echo '${errored}' > errored.tfstate; echo cannot-save >&2; exit 1` },
    });
    const final = await run({ workspace: 'rescue', action: 'deploy' });
    expect(final.state).toBe('failed');
    expect((await stateServer.history.pull('rescue')).version).toMatchObject({
      serial: 7,
      lineage: 'rescued',
      run_id: final.id,
    });
    expect(await logOf(final.id)).toContain(
      'the engine could not save its state and left errored.tfstate: Tide stored it',
    );
  });

  it('keeps an errored.tfstate it cannot store either, 0600, outside the run directory, and says where', async () => {
    await addWorkspace('unsaved', stack(), {
      customDeploy: { apply_command: "echo 'not a state' > errored.tfstate; exit 1" },
    });
    const final = await run({ workspace: 'unsaved', action: 'deploy' });
    const kept = path.join(dataDir, 'errored-state', `${final.id}.tfstate`);
    expect(await readFile(kept, 'utf8')).toBe('not a state\n');
    expect((await stat(kept)).mode & 0o777).toBe(0o600);
    expect(await logOf(final.id)).toContain(
      `neither could Tide (the state backend answered 400): it is kept in ${kept}`,
    );
  });

  it('fails a run whose workspace is no longer configured', async () => {
    const final = await run({ workspace: 'gone', action: 'deploy' });
    expect(final).toMatchObject({ state: 'failed', reason: 'workspace gone is not in the configuration' });
    expect(await getWorkspaceStatus(harness.db, 'gone')).toBeNull();
  });

  it('fails a run whose git template cannot be fetched, saying why', async () => {
    await addWorkspace('on-git', stack(), { template: 'from-git' });
    const unreachable = context({
      resolveTemplate: () =>
        Promise.reject(new TideError('git_failed', 'git fetch file:///gone.git failed: no such repository')),
    });
    const final = await run({ workspace: 'on-git', action: 'deploy' }, unreachable);
    expect(final).toMatchObject({
      state: 'failed',
      reason:
        'template from-git could not be prepared: git fetch file:///gone.git failed: no such repository',
    });
  });

  it('stops and writes nothing more once its lease is taken over by the reaper', async () => {
    await addWorkspace('slow', stack({ sleep: 30 }));
    const sleeping = nextLogLine('sleeping-now');
    const execution = run({ workspace: 'slow', action: 'deploy' });
    await sleeping;
    const reaped = await reapOrphans(harness.db, new Date(Date.now() + 60_000), hub);
    expect(reaped).toHaveLength(1);
    const final = await execution;
    expect(final).toMatchObject({ state: 'failed', reason: 'orphaned' });
    expect(await logOf(final.id)).not.toMatch(/==> (succeeded|failed|canceled|timed_out)/);
    const pgid = Number(await readFile(path.join(markers, 'pgid'), 'utf8'));
    expect(groupExists(pgid) && (await waitGone(pgid))).toBe(false);
  });
});

/** Killed orphans are reaped by init asynchronously: wait (bounded) until the group is gone. */
async function waitGone(pgid: number): Promise<boolean> {
  for (const until = Date.now() + 5_000; Date.now() < until;) {
    if (!groupExists(pgid)) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return groupExists(pgid);
}
