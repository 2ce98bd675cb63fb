/**
 * Job chains with the real engine (docs/jobs.md): three jobs chained by `depends_on` on `@deployment` run
 * in order after a deploy, in a copy of the deployed workspace's files with its outputs; when the middle
 * one fails, the last is `skipped`, its reason naming the failed job and run.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonHarness, markerWorkspaceTf, type DaemonHarness } from '../helpers/daemon-harness.ts';
import { isDone } from '../../src/run/run-state.ts';
import type { Run } from '../../src/run/run.ts';

const harnesses: DaemonHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
});

/** `./setup.sh <step>` appends one line to `<effects>/<workspace>.order`: what the Provisioner's scripts do. */
const setupScript = (effects: string) => `#!/bin/bash
set -e
line="$1 ws=$WORKSPACE_ID job=$JOB_NAME marker=$TIDE_OUTPUT_MARKER"
[ "$(pwd)" = "$WORKSPACE_DEPLOYMENT_DIR" ] && line="$line cwd=deployment"
[ -f "$WORKSPACE_DEPLOYMENT_DIR/main.tf" ] && line="$line files=yes"
echo "$line" >> ${effects}/$WORKSPACE_ID.order
`;

function chainedJobs(middle: string) {
  return [
    {
      name: 'first',
      type: 'script',
      script: 'bash ./setup.sh first',
      schedule: '@deployment',
      enabled: true,
    },
    {
      name: 'second',
      type: 'script',
      script: middle,
      schedule: '@deployment',
      depends_on: ['first'],
      enabled: true,
    },
    {
      name: 'third',
      type: 'command',
      command: 'bash ./setup.sh third',
      schedule: '@deployment',
      depends_on: ['second'],
      enabled: true,
    },
  ];
}

/** Resolves with the finished job runs of `workspace` once `count` of them ended. */
function jobRunsEnded(h: DaemonHarness, workspace: string, count: number): Promise<Map<string, Run>> {
  return new Promise((resolve) => {
    const ended = new Map<string, Run>();
    const listener = (run: Run) => {
      if (run.workspace !== workspace || !run.job || !isDone(run.state)) return;
      ended.set(run.job, run);
      if (ended.size < count) return;
      h.daemon.hub.off('run.updated', listener);
      resolve(ended);
    };
    h.daemon.hub.on('run.updated', listener);
  });
}

async function start(): Promise<DaemonHarness> {
  const h = await daemonHarness({}, '2027-06-01T10:00:00Z');
  harnesses.push(h);
  for (const [workspace, middle] of [
    ['app', 'bash ./setup.sh second'],
    ['bad', 'bash ./setup.sh second-broken; exit 3'],
  ] as const) {
    h.write(`workspaces/${workspace}/main.tf`, markerWorkspaceTf(h.sideEffects));
    h.write(`workspaces/${workspace}/setup.sh`, setupScript(h.sideEffects));
    h.write(`workspaces/${workspace}/config.json`, { enabled: true, jobs: chainedJobs(middle) });
  }
  await h.restart();
  return h;
}

describe('job chains on @deployment (real engine)', () => {
  it('runs three chained jobs in order after a deploy, in the deployed files with the outputs', async () => {
    const h = await start();
    const jobs = jobRunsEnded(h, 'app', 3);
    const deploy = await h.api('POST', '/api/v1/workspaces/app/deploy', {});
    expect(deploy.status).toBe(202);
    expect((await h.finished(deploy.body.id)).state).toBe('succeeded');
    const ended = await jobs;
    for (const job of ['first', 'second', 'third']) {
      expect(ended.get(job)).toMatchObject({ state: 'succeeded', trigger: 'event', action: 'job' });
    }
    const first = ended.get('first')!;
    const second = ended.get('second')!;
    const third = ended.get('third')!;
    expect(first.finished_at! <= second.started_at!).toBe(true);
    expect(second.finished_at! <= third.started_at!).toBe(true);
    const marker = path.join(h.sideEffects, 'app.up');
    expect(readFileSync(path.join(h.sideEffects, 'app.order'), 'utf8')).toBe(
      ['first', 'second', 'third']
        .map((step) => `${step} ws=app job=${step} marker=${marker} cwd=deployment files=yes\n`)
        .join(''),
    );
    const shown = await h.api('GET', '/api/v1/jobs/app.third');
    expect(shown.body.last_run).toMatchObject({ id: third.id, state: 'succeeded' });
  });

  it('skips the job after a failed one, naming the failed job and its run', async () => {
    const h = await start();
    const jobs = jobRunsEnded(h, 'bad', 3);
    const deploy = await h.api('POST', '/api/v1/workspaces/bad/deploy', {});
    expect((await h.finished(deploy.body.id)).state).toBe('succeeded');
    const ended = await jobs;
    expect(ended.get('first')?.state).toBe('succeeded');
    const second = ended.get('second')!;
    expect(second.state).toBe('failed');
    expect(ended.get('third')).toMatchObject({
      state: 'skipped',
      started_at: null,
      reason: `skipped: job second failed (run ${second.id})`,
    });
    expect(readFileSync(path.join(h.sideEffects, 'bad.order'), 'utf8')).not.toMatch(/^third/m);
    const listed = await h.api('GET', '/api/v1/runs?state=skipped');
    expect(listed.body.items.map((run: Run) => run.job)).toEqual(['third']);
  });

  it("deploys a template job's sub-stack with its own state and destroys it after its workspace's destroy", async () => {
    const h = await daemonHarness({}, '2027-06-01T10:00:00Z');
    harnesses.push(h);
    const sub = path.join(h.sideEffects, 'sub.up');
    h.write(
      'templates/dns/main.tf',
      `resource "terraform_data" "sub" {
  input = "${sub}"
  provisioner "local-exec" { command = "touch \${self.input}" }
  provisioner "local-exec" {
    when    = destroy
    command = "rm -f \${self.output}"
  }
}
`,
    );
    h.write('workspaces/stack/main.tf', markerWorkspaceTf(h.sideEffects));
    h.write('workspaces/stack/config.json', {
      enabled: true,
      jobs: [{ name: 'dns', type: 'template', template: 'dns', schedule: '@deployment', enabled: true }],
    });
    await h.restart();
    const applied = jobRunsEnded(h, 'stack', 1);
    const deploy = await h.api('POST', '/api/v1/workspaces/stack/deploy', {});
    expect((await h.finished(deploy.body.id)).state).toBe('succeeded');
    expect((await applied).get('dns')).toMatchObject({ action: 'job', state: 'succeeded' });
    expect(existsSync(sub)).toBe(true);
    const state = await h.daemon.store.db
      .selectFrom('state_versions')
      .select('state_key')
      .distinct()
      .orderBy('state_key')
      .execute();
    expect(state.map((row) => row.state_key)).toEqual(['_jobs/stack/dns', 'stack']);

    const destroyed = jobRunsEnded(h, 'stack', 1);
    const destroy = await h.api('POST', '/api/v1/workspaces/stack/destroy', {});
    expect(destroy.status).toBe(202);
    expect((await h.finished(destroy.body.id)).state).toBe('succeeded');
    const subDestroy = (await destroyed).get('dns')!;
    expect(subDestroy).toMatchObject({ action: 'destroy', trigger: 'event', state: 'succeeded' });
    expect(existsSync(sub)).toBe(false);
    // The workspace stays destroyed: the sub-stack's destroy leaves its status alone.
    expect((await h.api('GET', '/api/v1/workspaces/stack')).body.status).toBe('destroyed');
  });

  it('runs @startup jobs at each start of a one-process (SQLite) cluster', async () => {
    const h = await daemonHarness({}, '2027-06-01T10:00:00Z');
    harnesses.push(h);
    const log = path.join(h.sideEffects, 'boot.log');
    h.write('jobs/boot.json', {
      type: 'command',
      command: `echo "boot $JOB_NAME" >> ${log}`,
      schedule: '@reboot',
      enabled: true,
    });
    for (const round of [1, 2]) {
      await h.restart();
      const { items } = (await h.api('GET', '/api/v1/runs?trigger=event')).body;
      expect(items).toHaveLength(round);
      // Both starts happen at the same (manual) instant, so the list's order between them is the ids':
      // wait for whichever has not ended.
      for (const run of items) {
        expect(run).toMatchObject({ workspace: '_standalone_', job: 'boot' });
        if (!isDone(run.state)) expect((await h.finished(run.id)).state).toBe('succeeded');
      }
    }
    expect(readFileSync(log, 'utf8')).toBe('boot boot\nboot boot\n');
  });
});
