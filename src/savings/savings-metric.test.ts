/** `tide_saved_cost_total{workspace}`: computed from the run history on scrape by the metrics collector. */
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadEffectiveConfig } from '../../test/helpers/api-fixture.ts';
import { makeConfigDir, workspaceFiles } from '../../test/helpers/config-dir.ts';
import { forEachDialect } from '../../test/helpers/databases.ts';
import type { ReloadEvent } from '../config/config-watcher.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { EventHub } from '../events/event-hub.ts';
import { MetricsCollector } from '../observability/metrics-collector.ts';
import { createMetrics } from '../observability/metrics.ts';
import { sampleValue } from '../observability/test-scrape.ts';
import { finishRun } from '../run/run-outcome.repo.ts';
import { claimNextQueued, insertRun } from '../run/run.repo.ts';
import { ManualClock } from '../time/clock.ts';

class Watcher extends EventEmitter<{ reload: [ReloadEvent]; error: [Error] }> {
  constructor(public config: EffectiveConfig) {
    super();
  }
  current(): EffectiveConfig {
    return this.config;
  }
}

const configDir = makeConfigDir({
  ...workspaceFiles('web', { enabled: true, hourly_cost: 0.5 }),
  ...workspaceFiles('free', { enabled: true }),
});
/** The same workspaces, `web` without its hourly_cost. */
const uncostedDir = makeConfigDir({
  ...workspaceFiles('web', { enabled: true }),
  ...workspaceFiles('free', { enabled: true }),
});
let config: EffectiveConfig;
let uncosted: EffectiveConfig;
beforeAll(async () => {
  config = await loadEffectiveConfig(configDir.dir);
  uncosted = await loadEffectiveConfig(uncostedDir.dir);
});
afterAll(() => {
  configDir.cleanup();
  uncostedDir.cleanup();
});

forEachDialect('tide_saved_cost_total', (harness) => {
  it('exposes the money saved to date per costed workspace: growing while down, restarting when history shrinks, gone without hourly_cost', async () => {
    const clock = new ManualClock('2027-03-01T07:00:00Z');
    for (const [action, iso] of [
      ['deploy', '2027-03-01T07:00:00Z'],
      ['destroy', '2027-03-01T19:00:00Z'],
      ['deploy', '2027-03-02T07:00:00Z'],
      ['destroy', '2027-03-02T19:00:00Z'],
    ] as const) {
      clock.set(iso);
      const run = await insertRun(harness.db, {
        id: `${action}-${iso}`,
        workspace: 'web',
        action,
        trigger: 'schedule',
        created_at: clock.now(),
      });
      await claimNextQueued(harness.db, { owner: 'test', leaseMs: 60_000, clock });
      await finishRun(harness.db, run.id, 'succeeded', clock.now(), {}, () => null);
    }
    const metrics = createMetrics();
    const watcher = new Watcher(config);
    const collector = new MetricsCollector({
      metrics,
      db: harness.db,
      hub: new EventHub(),
      watcher,
      worker: null,
      logger: pino({ level: 'silent' }),
      clock,
    });
    const controller = new AbortController();
    const running = collector.start(controller.signal, () => undefined);
    try {
      // Mon 19:00 → Tue 07:00 (12 h) and Tue 19:00 → Wed 01:00 (6 h): 18 h × 0.5 = 9.
      clock.set('2027-03-03T01:00:00Z');
      let text = await metrics.registry.metrics();
      expect(text).toContain('# TYPE tide_saved_cost_total counter');
      expect(sampleValue(text, 'tide_saved_cost_total', { workspace: 'web' })).toBe(9);
      expect(sampleValue(text, 'tide_saved_cost_total', { workspace: 'free' })).toBeUndefined();
      // Six more hours down: 24 h × 0.5 = 12.
      clock.set('2027-03-03T07:00:00Z');
      text = await metrics.registry.metrics();
      expect(sampleValue(text, 'tide_saved_cost_total', { workspace: 'web' })).toBe(12);
      // Retention deleted Monday's runs: history now starts Tuesday 07:00, down since 19:00 (12 h × 0.5).
      // The value went back, so the series restarts at it (a counter reset to Prometheus).
      await harness.db.deleteFrom('runs').where('finished_at', '<', '2027-03-02T00:00:00.000Z').execute();
      text = await metrics.registry.metrics();
      expect(sampleValue(text, 'tide_saved_cost_total', { workspace: 'web' })).toBe(6);
      // hourly_cost removed from the configuration: the series goes away.
      watcher.config = uncosted;
      text = await metrics.registry.metrics();
      expect(text).not.toContain('tide_saved_cost_total{');
    } finally {
      controller.abort();
      await running;
    }
  });
});
