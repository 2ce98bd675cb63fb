import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonHarness, type DaemonHarness } from '../../test/helpers/daemon-harness.ts';
import { failWrites } from '../../test/helpers/failing-writes.ts';
import { listFirings } from '../schedule/firing.repo.ts';
import { nextHealth, TestTimers } from '../supervisor/test-supervision.ts';
import { startDaemon, type Daemon, type DaemonSettings } from './daemon.ts';

const harnesses: DaemonHarness[] = [];
const daemons: Daemon[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((daemon) => daemon.close(1000)));
  await Promise.all(harnesses.splice(0).map((h) => h.cleanup()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A standalone job firing every day at 07:00: firing it runs `true`, no engine work. */
const pingJob = {
  'jobs/ping.json': { type: 'command', command: 'true', enabled: true, schedule: '0 7 * * *' },
};

async function harness(tuning: Partial<DaemonSettings> = {}): Promise<DaemonHarness> {
  const h = await daemonHarness(pingJob, '2027-06-01T06:59:00Z', tuning);
  harnesses.push(h);
  return h;
}

function scratchDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'tide-daemon-'));
  dirs.push(dir);
  return dir;
}

async function start(settings: DaemonSettings): Promise<Daemon> {
  const daemon = await startDaemon(settings);
  daemons.push(daemon);
  return daemon;
}

describe('a supervised daemon', () => {
  it('answers ready 503 naming the scheduler while it restarts after a database error, and keeps firing', async () => {
    const backoff = new TestTimers();
    const h = await harness({ backoffTimers: backoff });
    const ready = () => h.api('GET', '/api/health/ready');
    expect((await ready()).status).toBe(200);

    const restore = await failWrites(h.daemon.store.db, 'scheduler_checkpoints', {
      on: 'insert',
      message: 'checkpoint refused',
    });
    const restarting = nextHealth(h.daemon.supervisor, 'scheduler', 'restarting');
    h.clock.set('2027-06-01T07:00:00Z');
    await h.daemon.scheduler!.tick();
    await restarting;
    const failing = await ready();
    expect(failing.status).toBe(503);
    expect(failing.body.error.details.failing).toEqual(['scheduler']);
    expect(failing.body.error.message).toMatch(
      /scheduler \(restarting in 1s after a failure: .*checkpoint refused/,
    );

    await restore();
    const up = nextHealth(h.daemon.supervisor, 'scheduler', 'up');
    backoff.fire();
    await up;
    expect((await ready()).status).toBe(200);
    h.clock.set('2027-06-02T07:00:00Z');
    await h.daemon.scheduler!.tick();
    const { items } = await listFirings(h.daemon.store.db, { workspace: '_standalone_', limit: 10 });
    expect(items.map((firing) => [firing.scheduled_at, firing.outcome])).toEqual([
      ['2027-06-02T07:00:00.000Z', 'fired'],
      ['2027-06-01T07:00:00.000Z', 'fired'],
    ]);
  });

  it('shows every loop of every role in readiness and in tide_subsystem_up', async () => {
    const h = await harness();
    const { body } = await h.api('GET', '/api/health/ready');
    const loops = [
      'metrics-collector',
      'lease-watch',
      'orphan-reaper',
      'run-dir-sweep',
      'run-worker',
      'dependency-sweep',
      'scheduler',
      'retention',
    ];
    for (const name of [...loops, 'rate-limit-pruning']) expect(body.checks[name]).toEqual({ ok: true });
    const metrics = await h.daemon.app!.inject({ url: '/metrics' });
    for (const name of loops) expect(metrics.body).toContain(`tide_subsystem_up{subsystem="${name}"} 1`);
  });
});

describe('a daemon that cannot start', () => {
  it('refuses a second server on the same SQLite data directory, naming it and the first server, until that one stops', async () => {
    const h = await harness();
    const second = startDaemon({ ...h.settings, port: 0 });
    await expect(second).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(
        `data directory ${h.dataDir} is in use by another tide serve (pid ${process.pid} on`,
      ),
    });
    await h.daemon.close(1000);
    h.daemon = await startDaemon({ ...h.settings, port: 0 });
    expect(h.daemon.url).not.toBeNull();
  });

  it('stops before scheduling anything when its port is busy, and leaves its data directory free', async () => {
    const h = await harness();
    const port = Number(new URL(h.daemon.url!).port);
    const dataDir = scratchDir();
    const settings = { ...h.settings, dataDir, port };
    await expect(startDaemon(settings)).rejects.toMatchObject({
      code: 'conflict',
      message: `cannot listen on 127.0.0.1:${port}: the port is already in use (another tide serve?); stop that process or pass another --port (TIDE_PORT)`,
    });
    expect(existsSync(path.join(dataDir, 'initial-admin-password'))).toBe(false);
    // Without the scheduler role, so any checkpoint found below was written by the failed start.
    const retried = await start({ ...settings, port: 0, roles: new Set(['api']) });
    // The failed start never ran its scheduler: nothing was evaluated or fired.
    const checkpoints = await retried.store.db.selectFrom('scheduler_checkpoints').selectAll().execute();
    expect(checkpoints).toEqual([]);
  });

  it('stops when the runner role is on and no engine is found, and starts without the role', async () => {
    const h = await harness();
    const dataDir = scratchDir();
    const settings = { ...h.settings, dataDir, tofuBin: path.join(dataDir, 'no-such-tofu') };
    await expect(startDaemon(settings)).rejects.toMatchObject({
      code: 'engine_not_found',
      message: expect.stringMatching(/no-such-tofu.*or run this replica without the runner role/),
    });
    const daemon = await start({ ...settings, roles: new Set(['api', 'scheduler']) });
    const ready = await daemon.app!.inject({ url: '/api/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.engine.detail).toMatch(/not needed/);
  });

  it('stops on a missing config directory before touching the data directory', async () => {
    const h = await harness();
    const dataDir = path.join(scratchDir(), 'data');
    const configDir = path.join(scratchDir(), 'nowhere');
    await expect(startDaemon({ ...h.settings, dataDir, configDir })).rejects.toMatchObject({
      code: 'not_found',
      message: `config directory ${configDir} does not exist; pass --config-dir or set TIDE_CONFIG_DIR`,
    });
    expect(existsSync(dataDir)).toBe(false);
  });
});
