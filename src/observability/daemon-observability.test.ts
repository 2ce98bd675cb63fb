import { afterEach, describe, expect, it } from 'vitest';
import { daemonHarness, markerWorkspaceTf, type DaemonHarness } from '../../test/helpers/daemon-harness.ts';
import type { DaemonSettings } from '../daemon/daemon.ts';
import { createLogger } from '../log/logger.ts';
import { sampleValue } from './test-scrape.ts';

const harnesses: DaemonHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
});

/** A daemon with the real engine and one workspace, `web`, deployed every day at 07:00 UTC. */
async function start(at: string, tuning: Partial<DaemonSettings> = {}): Promise<DaemonHarness> {
  const h = await daemonHarness({}, at, tuning);
  harnesses.push(h);
  // The side-effect directory is only known once the harness exists, so the workspace is written after.
  h.write('workspaces/web/main.tf', markerWorkspaceTf(h.sideEffects));
  h.write('workspaces/web/config.json', { enabled: true, deploy_schedule: '0 7 * * *' });
  await h.restart();
  return h;
}

/** Resolves when `web`'s observed status becomes `status` (recorded just after its run's final event). */
function statusReached(h: DaemonHarness, status: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: { workspace: string; status: string }) => {
      if (event.workspace !== 'web' || event.status !== status) return;
      h.daemon.hub.off('workspace.status', listener);
      resolve();
    };
    h.daemon.hub.on('workspace.status', listener);
  });
}

async function scrape(h: DaemonHarness): Promise<string> {
  const response = await h.daemon.app!.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return response.body;
}

describe('observability of a running daemon', () => {
  it('counts an API deploy once it succeeded, with its duration, and its workspace as deployed', async () => {
    const h = await start('2027-06-01T06:00:00Z');
    const deployed = statusReached(h, 'deployed');
    // Queued the way the deploy route does it; the route itself (and its authentication) is tested elsewhere.
    const queued = await h.daemon.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    await h.finished(queued.id);
    await deployed;
    const text = await scrape(h);
    expect(
      sampleValue(text, 'tide_runs_total', { action: 'deploy', trigger: 'api', result: 'succeeded' }),
    ).toBe(1);
    expect(sampleValue(text, 'tide_run_duration_seconds_count', { action: 'deploy' })).toBe(1);
    expect(sampleValue(text, 'tide_workspaces', { status: 'deployed' })).toBe(1);
    expect(sampleValue(text, 'tide_workspaces', { status: 'destroyed' })).toBe(0);
    expect(sampleValue(text, 'tide_queue_depth')).toBe(0);
    // The load at start counts as one reload; the restart made a new daemon with fresh counters.
    expect(sampleValue(text, 'tide_config_reloads_total', { result: 'ok' })).toBe(1);
  });

  it('times API requests under their route template, those refused before the handler included', async () => {
    const h = await start('2027-06-01T06:00:00Z');
    const response = await h.daemon.app!.inject({ method: 'POST', url: '/api/v1/workspaces/web/deploy' });
    const labels = {
      method: 'POST',
      route: '/api/v1/workspaces/:name/deploy',
      status_code: String(response.statusCode),
    };
    expect(sampleValue(await scrape(h), 'tide_http_request_duration_seconds_count', labels)).toBe(1);
  });

  it('counts a scheduled firing and the lag until its run started', async () => {
    const h = await start('2027-06-01T06:59:00Z');
    h.clock.set('2027-06-01T07:00:00Z');
    const finished = h.nextFinished();
    await h.daemon.scheduler!.tick();
    expect(await finished).toMatchObject({ action: 'deploy', trigger: 'schedule', state: 'succeeded' });
    const text = await scrape(h);
    expect(sampleValue(text, 'tide_firings_total', { outcome: 'fired' })).toBe(1);
    expect(
      sampleValue(text, 'tide_runs_total', { action: 'deploy', trigger: 'schedule', result: 'succeeded' }),
    ).toBe(1);
    // The manual clock stood still at the scheduled instant, so the run started with no lag.
    expect(sampleValue(text, 'tide_schedule_lag_seconds_count')).toBe(1);
    expect(sampleValue(text, 'tide_schedule_lag_seconds_sum')).toBe(0);
  });

  it("logs every line about an executing run with the run's id and workspace, once", async () => {
    let finishedLine: (line: string) => void = () => {};
    const logged = new Promise<string>((resolve) => (finishedLine = resolve));
    const logger = createLogger('info', {
      write: (line: string) => {
        if (line.includes('"msg":"run finished"')) finishedLine(line);
      },
    });
    const h = await start('2027-06-01T06:00:00Z', { logger });
    const queued = await h.daemon.runs.enqueue({ workspace: 'web', action: 'deploy', trigger: 'api' });
    const line = await logged;
    expect(JSON.parse(line)).toMatchObject({ run_id: queued.id, workspace: 'web', state: 'succeeded' });
    // Bound once by the executor rather than repeated per call: duplicate keys break some log shippers.
    expect(line.match(/"run_id"/g)).toHaveLength(1);
  });
});
