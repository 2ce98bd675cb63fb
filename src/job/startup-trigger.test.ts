import { afterAll, beforeAll, expect, it } from 'vitest';
import pino from 'pino';
import { loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { makeConfigDir } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { ManualTimers } from '../../test/helpers/scheduler-harness.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { EventHub } from '../events/event-hub.ts';
import { listRuns } from '../run/run.repo.ts';
import { ManualClock } from '../time/clock.ts';
import { startupTrigger } from './startup-trigger.ts';

const configDir = makeConfigDir({
  'jobs/boot.json': { type: 'command', command: 'true', schedule: '@reboot', enabled: true },
  'jobs/seed.json': {
    type: 'command',
    command: 'true',
    schedule: '@startup',
    enabled: true,
  },
});
let config: EffectiveConfig;
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
});
afterAll(() => configDir.cleanup());

forEachDialect('the @startup trigger', (harness) => {
  const clock = new ManualClock('2027-01-04T08:00:00Z');
  const trigger = (holder: string) =>
    startupTrigger({
      db: harness.db,
      hub: new EventHub(),
      clock,
      logger: pino({ level: 'silent' }),
      config: () => config,
      holder,
      heartbeatMs: 30_000,
      timers: new ManualTimers(),
    });
  /** Starts the subsystem, waits for its first pass, stops it. */
  const pass = async (subsystem: ReturnType<typeof trigger>) => {
    const stop = new AbortController();
    let up!: () => void;
    const ready = new Promise<void>((resolve) => (up = resolve));
    const running = subsystem.start(stop.signal, up);
    await Promise.race([ready, running]);
    stop.abort();
    await running;
  };
  const jobRuns = async () => (await listRuns(harness.db)).items.map((run) => run.job).sort();

  it('fires @startup (and @reboot) chains once when the cluster starts, not when another replica takes over', async () => {
    await pass(trigger('replica-a'));
    expect(await jobRuns()).toEqual(['boot', 'seed']);
    const runs = (await listRuns(harness.db)).items;
    expect(runs.every((run) => run.trigger === 'event' && run.workspace === '_standalone_')).toBe(true);
    // Failover a minute later: the marker's heartbeat is fresh, so nothing fires again.
    clock.advance(60_000);
    await pass(trigger('replica-b'));
    expect(await jobRuns()).toEqual(['boot', 'seed']);
  });

  it('fires again after the whole cluster was down longer than three heartbeats', async () => {
    await pass(trigger('replica-a'));
    clock.advance(91_000);
    await pass(trigger('replica-a-restarted'));
    expect(await jobRuns()).toEqual(['boot', 'boot', 'seed', 'seed']);
  });

  it('never fires twice from one process, even when its subsystem restarts after the marker went stale', async () => {
    const subsystem = trigger('replica-a');
    await pass(subsystem);
    clock.advance(600_000);
    await pass(subsystem);
    expect(await jobRuns()).toEqual(['boot', 'seed']);
  });
});
