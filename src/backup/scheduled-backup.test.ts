import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { forEachDialect } from '../../test/helpers/databases.ts';
import { createLogger } from '../log/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import type { Timers } from '../supervisor/timers.ts';
import { ManualClock } from '../time/clock.ts';
import { lastSuccessfulBackup } from './backup.ts';
import { listBackups } from './backup.repo.ts';
import { parseBackupSchedule, scheduledBackups } from './scheduled-backup.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Timers a test fires by hand; `slept()` resolves when the loop next goes to sleep, with the delay. */
class StepTimers implements Timers {
  #pending: { callback: () => void; ms: number } | null = null;
  #waiting: ((ms: number) => void) | null = null;
  set(callback: () => void, ms: number): unknown {
    this.#pending = { callback, ms };
    this.#waiting?.(ms);
    this.#waiting = null;
    return this.#pending;
  }
  clear(handle: unknown): void {
    if (this.#pending === handle) this.#pending = null;
  }
  slept(): Promise<number> {
    if (this.#pending) return Promise.resolve(this.#pending.ms);
    return new Promise((resolve) => (this.#waiting = resolve));
  }
  fire(): void {
    const pending = this.#pending;
    this.#pending = null;
    pending?.callback();
  }
}

forEachDialect('scheduled backups', (harness) => {
  it('takes a backup at once when none was scheduled yet, then at each firing, keeping the newest TIDE_BACKUP_RETAIN', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tide-scheduled-backup-'));
    dirs.push(dir);
    const configDir = mkdtempSync(path.join(tmpdir(), 'tide-scheduled-config-'));
    dirs.push(configDir);
    const clock = new ManualClock('2027-03-01T02:30:00Z');
    const settings = { schedule: '0 3 * * *', timeZone: 'UTC', dir: path.join(dir, 'nested'), retain: 2 };
    const start = (timers: StepTimers) => {
      const controller = new AbortController();
      const subsystem = scheduledBackups(settings, {
        store: harness.store,
        clock,
        logger: createLogger('silent'),
        configDir,
        keyIds: async () => ({ encryption: [], audit: null }),
        timers,
      });
      expect(subsystem).toMatchObject({ name: 'scheduled-backup', oncePerCluster: true });
      let up = false;
      const running = subsystem.start(controller.signal, () => (up = true));
      return { stop: () => (controller.abort(), running), isUp: () => up };
    };

    const timers = new StepTimers();
    const first = start(timers);
    expect(await timers.slept()).toBe(30 * 60_000);
    expect(first.isUp()).toBe(true);
    expect(await lastSuccessfulBackup(harness.db)).toEqual(new Date('2027-03-01T02:30:00Z'));

    clock.set('2027-03-01T03:00:00Z');
    timers.fire();
    expect(await timers.slept()).toBe(24 * 3600_000);
    clock.set('2027-03-02T03:00:00Z');
    timers.fire();
    expect(await timers.slept()).toBe(24 * 3600_000);
    await first.stop();

    const kept = await listBackups(harness.db, 'schedule');
    expect(kept.map((backup) => backup.created_at)).toEqual([
      '2027-03-02T03:00:00.000Z',
      '2027-03-01T03:00:00.000Z',
    ]);
    expect(readdirSync(settings.dir).sort()).toEqual(kept.map((backup) => path.basename(backup.file)).sort());

    // A restart (or another replica taking over) neither repeats the last backup nor forgets the next one.
    const later = new StepTimers();
    const second = start(later);
    expect(await later.slept()).toBe(24 * 3600_000);
    await second.stop();
    expect(await listBackups(harness.db, 'schedule')).toHaveLength(2);
    for (const backup of kept) expect(existsSync(backup.file)).toBe(true);

    // Every replica reports the newest backup from the database.
    const metrics = createMetrics();
    metrics.setScrapeSource({
      runsActive: () => 0,
      queueDepth: async () => 0,
      workspacesByStatus: async () => new Map(),
      lastBackupAt: () => lastSuccessfulBackup(harness.db),
    });
    const scraped = await metrics.registry.getSingleMetricAsString(
      'tide_backup_last_success_timestamp_seconds',
    );
    expect(scraped).toContain(
      `tide_backup_last_success_timestamp_seconds ${Date.parse('2027-03-02T03:00:00Z') / 1000}`,
    );
  });

  it('refuses a schedule that is not a cron expression, naming the variable', () => {
    expect(() => parseBackupSchedule('every night', 'UTC')).toThrow(
      /^TIDE_BACKUP_SCHEDULE "every night": expected 5 fields/,
    );
  });
});
