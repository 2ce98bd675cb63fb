import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonHarness, markerWorkspaceTf, type DaemonHarness } from '../helpers/daemon-harness.ts';

const harnesses: DaemonHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
});

async function start(
  config: object,
  at: string,
  extraCommand: string | ((dir: string) => string) = '',
  tuning = {},
) {
  const placeholder = await daemonHarness({}, at, tuning);
  // The side-effect directory is only known once the harness exists, so the workspace is written after.
  harnesses.push(placeholder);
  const command = typeof extraCommand === 'string' ? extraCommand : extraCommand(placeholder.sideEffects);
  placeholder.write('workspaces/web/main.tf', markerWorkspaceTf(placeholder.sideEffects, command));
  placeholder.write('workspaces/web/config.json', { enabled: true, ...config });
  await placeholder.restart();
  return placeholder;
}

const marker = (h: DaemonHarness) => path.join(h.sideEffects, 'web.up');

describe('scheduled runs with the real engine', () => {
  it('deploys at the scheduled instant, leaving state and outputs, and destroys at the next', async () => {
    const h = await start(
      { deploy_schedule: '0 7 * * *', destroy_schedule: '0 19 * * *' },
      '2027-06-01T06:59:00Z',
    );
    h.clock.set('2027-06-01T07:00:00Z');
    const deployed = h.nextFinished();
    await h.daemon.scheduler!.tick();
    const deploy = await deployed;
    expect(deploy).toMatchObject({ action: 'deploy', state: 'succeeded', trigger: 'schedule', exit_code: 0 });
    expect(deploy.plan_summary).toEqual({ add: 1, change: 0, destroy: 0 });
    expect(deploy.outputs).toEqual({ marker: marker(h) });
    expect(existsSync(marker(h))).toBe(true);
    const state = await h.api('GET', '/api/v1/workspaces/web/state');
    expect(state.body.versions[0]).toMatchObject({ run_id: deploy.id, deleted: false });
    expect((await h.api('GET', '/api/v1/workspaces/web')).body).toMatchObject({
      status: 'deployed',
      last_run: { id: deploy.id },
    });

    h.clock.set('2027-06-01T19:00:00Z');
    const destroyed = h.nextFinished();
    await h.daemon.scheduler!.tick();
    expect(await destroyed).toMatchObject({ action: 'destroy', state: 'succeeded' });
    expect(existsSync(marker(h))).toBe(false);
    expect((await h.api('GET', '/api/v1/workspaces/web')).body.status).toBe('destroyed');
    const firings = (await h.api('GET', '/api/v1/workspaces/web/firings')).body.items;
    expect(firings.map((f: { outcome: string }) => f.outcome)).toEqual(['fired', 'fired']);
  });

  it('converges a window workspace up inside and down outside its window, also after a restart mid-window', async () => {
    const h = await start({ uptime: [{ from: '08:00', to: '19:00' }] }, '2027-06-01T10:00:00Z');
    expect(await h.nextFinished()).toMatchObject({ action: 'deploy', state: 'succeeded', trigger: 'window' });
    expect(existsSync(marker(h))).toBe(true);
    await h.restart('2027-06-01T12:00:00Z');
    await h.daemon.scheduler!.tick();
    expect((await h.api('GET', '/api/v1/runs')).body.items).toHaveLength(1);
    h.clock.set('2027-06-01T19:00:00Z');
    const closed = h.nextFinished();
    await h.daemon.scheduler!.tick();
    expect(await closed).toMatchObject({ action: 'destroy', state: 'succeeded', trigger: 'window' });
    expect(existsSync(marker(h))).toBe(false);
  });

  it('follows the concurrency policy for a firing during an active run', async () => {
    const h = await start(
      { deploy_schedule: '0 7 * * *', destroy_schedule: '1 7 * * *', policy: { concurrency: 'skip' } },
      '2027-06-01T06:59:00Z',
      'sleep 3 && ',
    );
    h.clock.set('2027-06-01T07:00:00Z');
    const deployed = h.nextFinished();
    await h.daemon.scheduler!.tick();
    await waitUntil(async () => (await h.api('GET', '/api/v1/runs?state=running')).body.items.length === 1);
    h.clock.set('2027-06-01T07:01:00Z');
    await h.daemon.scheduler!.tick();
    await deployed;
    const firings = (await h.api('GET', '/api/v1/workspaces/web/firings')).body.items;
    expect(firings[0]).toMatchObject({ schedule_key: 'destroy_schedule:1 7 * * *', outcome: 'skipped' });
    expect(firings[0].reason).toMatch(/^concurrency policy skip: run .* is running$/);
  });

  it('stops a run past its timeout as timed_out and leaves no process of its group', async () => {
    const h = await start(
      { deploy_schedule: '0 7 * * *', policy: { timeout: '2s' } },
      '2027-06-01T06:59:00Z',
      // A duration no other test uses, so the check below only sees this run's processes.
      'sleep 59.731 && ',
    );
    h.clock.set('2027-06-01T07:00:00Z');
    const finished = h.nextFinished();
    await h.daemon.scheduler!.tick();
    const run = await finished;
    expect(run.state).toBe('timed_out');
    expect(sleepers()).toEqual([]);
    expect((await h.api('GET', '/api/v1/workspaces/web')).body.status).toBe('deploy_failed');
  });

  it('retries a transient failure and then succeeds', async () => {
    const h = await start(
      { deploy_schedule: '0 7 * * *', policy: { retries: 2, backoff: { base: '1s', max: '2s' } } },
      '2027-06-01T06:59:00Z',
      (dir) =>
        `test -f ${dir}/flag || { touch ${dir}/flag; echo 'Error: connection reset by peer' >&2; exit 1; } && `,
    );
    h.clock.set('2027-06-01T07:00:00Z');
    const first = h.nextFinished();
    await h.daemon.scheduler!.tick();
    expect(await first).toMatchObject({ state: 'failed', attempt: 1 });
    const second = h.nextFinished();
    await waitUntil(async () => (await h.api('GET', '/api/v1/runs?trigger=retry')).body.items.length === 1);
    h.clock.set('2027-06-01T07:00:05Z');
    expect(await second).toMatchObject({ state: 'succeeded', attempt: 2, trigger: 'retry' });
  });

  it('keeps the last good config when an edit is invalid and reports the error in the API', async () => {
    const h = await start({ deploy_schedule: '0 7 * * *' }, '2027-06-01T06:59:00Z');
    const reloaded = new Promise((resolve) => h.daemon.watcher.once('reload', resolve));
    h.write('workspaces/web/config.json', { enabled: true, deploy_schedule: '0 7 * * *', bogus: 1 });
    await reloaded;
    const web = (await h.api('GET', '/api/v1/workspaces/web')).body;
    expect(web.config_error).toBe('workspaces/web/config.json: bogus: unknown key "bogus"');
    expect(web.next_firings[0]).toMatchObject({ action: 'deploy', scheduled_at: '2027-06-01T07:00:00.000Z' });
    h.clock.set('2027-06-01T07:00:00Z');
    const deployed = h.nextFinished();
    await h.daemon.scheduler!.tick();
    expect(await deployed).toMatchObject({ state: 'succeeded' });
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The timeout test's `sleep` processes (none must survive the timeout). */
function sleepers(): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmd.startsWith('sleep 59.731') ? [pid] : [];
      } catch {
        return [];
      }
    });
}
