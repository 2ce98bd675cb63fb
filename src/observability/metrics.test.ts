import { describe, expect, it } from 'vitest';
import { createMetrics, type ScrapeSource } from './metrics.ts';
import { sampleValue } from './test-scrape.ts';

/**
 * The scrape-time gauges and counters against a scripted ScrapeSource (a stand-in for the store reads,
 * which metrics-collector.test.ts covers on real databases): what each answer does to the exposition.
 */
function scripted(answers: Partial<ScrapeSource>): ScrapeSource {
  return { runsActive: () => 0, queueDepth: async () => 0, workspacesByStatus: async () => null, ...answers };
}

describe('metrics read at scrape time (scripted scrape source)', () => {
  it('shows saved cost per workspace, drops a workspace no longer reported, restarts a series that went back, and keeps the values on a failed read', async () => {
    const metrics = createMetrics();
    let saved: ReadonlyMap<string, number> | null = new Map([
      ['web', 10],
      ['api', 5],
    ]);
    metrics.setScrapeSource(scripted({ savedCost: async () => saved }));
    const shown = async (workspace: string) =>
      sampleValue(await metrics.registry.metrics(), 'tide_saved_cost_total', { workspace });
    expect(await shown('web')).toBe(10);
    expect(await shown('api')).toBe(5);
    saved = new Map([['web', 12.5]]);
    expect(await shown('web')).toBe(12.5);
    expect(await shown('api')).toBeUndefined();
    // Retention shrank the history: the series restarts from the new total (a counter reset).
    saved = new Map([['web', 4]]);
    expect(await shown('web')).toBe(4);
    saved = null;
    expect(await shown('web')).toBe(4);
  });

  it('shows drift per configured workspace, replaced wholesale, and keeps it on a failed read', async () => {
    const metrics = createMetrics();
    let drifted: ReadonlyMap<string, boolean> | null = new Map([
      ['web', true],
      ['api', false],
    ]);
    metrics.setScrapeSource(scripted({ drifted: async () => drifted }));
    const shown = async (workspace: string) =>
      sampleValue(await metrics.registry.metrics(), 'tide_workspace_drifted', { workspace });
    expect([await shown('web'), await shown('api')]).toEqual([1, 0]);
    drifted = new Map([['web', false]]);
    expect([await shown('web'), await shown('api')]).toEqual([0, undefined]);
    drifted = null;
    expect(await shown('web')).toBe(0);
  });

  it('shows the last backup as Unix time, 0 before any, and keeps it when the read fails', async () => {
    const metrics = createMetrics();
    let last: Date | null | undefined = null;
    metrics.setScrapeSource(scripted({ lastBackupAt: async () => last }));
    const shown = async () =>
      sampleValue(await metrics.registry.metrics(), 'tide_backup_last_success_timestamp_seconds');
    expect(await shown()).toBe(0);
    last = new Date('2027-03-01T02:00:00Z');
    expect(await shown()).toBe(Date.parse('2027-03-01T02:00:00Z') / 1000);
    last = undefined;
    expect(await shown()).toBe(Date.parse('2027-03-01T02:00:00Z') / 1000);
  });

  it('leaves the optional readings at their defaults when the source has none', async () => {
    const metrics = createMetrics();
    metrics.setScrapeSource(scripted({}));
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, 'tide_backup_last_success_timestamp_seconds')).toBe(0);
    expect(sampleValue(text, 'tide_notification_queue_depth')).toBe(0);
    expect(sampleValue(text, 'tide_workspace_drifted')).toBeUndefined();
    expect(sampleValue(text, 'tide_saved_cost_total')).toBeUndefined();
  });
});
