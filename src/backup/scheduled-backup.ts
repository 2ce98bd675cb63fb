/**
 * Scheduled backups inside `tide serve` (TIDE_BACKUP_SCHEDULE, TIDE_BACKUP_DIR, TIDE_BACKUP_RETAIN): a
 * supervised subsystem that runs on one replica of the cluster at a time (decision 016). When it is due is
 * derived from the `backups` table, not from memory: the next firing of the schedule after the newest
 * scheduled backup, or at once when there is none; so a restart, or another replica taking over, neither
 * repeats a backup nor skips one missed while no replica ran (it is taken late, once).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';
import { PRIVATE_DIR_MODE } from '../files/file-modes.ts';
import type { Logger } from '../log/logger.ts';
import { parseCron, type CronExpression } from '../schedule/cron.ts';
import type { Store } from '../store/database.ts';
import { sleep, realTimers, type Timers } from '../supervisor/timers.ts';
import type { Subsystem } from '../supervisor/subsystem.ts';
import type { Clock } from '../time/clock.ts';
import { deleteBackupRecord, listBackups } from './backup.repo.ts';
import { createBackup, type KeyIds } from './backup.ts';

export const SCHEDULED_BACKUP_SUBSYSTEM = 'scheduled-backup';

export interface ScheduledBackupSettings {
  /** A five-field cron expression (TIDE_BACKUP_SCHEDULE). */
  readonly schedule: string;
  readonly timeZone: string;
  /** Where archives are written (TIDE_BACKUP_DIR). */
  readonly dir: string;
  /** Scheduled archives kept (TIDE_BACKUP_RETAIN); older ones are deleted with their records. */
  readonly retain: number;
}

export interface ScheduledBackupDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly configDir: string;
  readonly keyIds: () => Promise<KeyIds>;
  readonly timers?: Timers | undefined;
  /**
   * Told of a failed scheduled backup (a `backup_failed` notification) before the failure is rethrown
   * for the supervisor to retry; `due` is the backup's due instant, the same across retries.
   */
  readonly onFailure?: (due: Date, error: unknown) => Promise<unknown>;
}

export function parseBackupSchedule(schedule: string, timeZone: string): CronExpression {
  const parsed = parseCron(schedule, timeZone);
  if (!parsed.ok) {
    throw new TideError('invalid_argument', `TIDE_BACKUP_SCHEDULE "${schedule}": ${parsed.error}`);
  }
  return parsed.cron;
}

export function scheduledBackups(settings: ScheduledBackupSettings, deps: ScheduledBackupDeps): Subsystem {
  const cron = parseBackupSchedule(settings.schedule, settings.timeZone);
  const timers = deps.timers ?? realTimers;
  return {
    name: SCHEDULED_BACKUP_SUBSYSTEM,
    oncePerCluster: true,
    async start(signal, up) {
      let first = true;
      while (!signal.aborted) {
        const now = deps.clock.now();
        const due = await nextDue(deps.store, cron, now);
        if (due.getTime() <= now.getTime()) {
          try {
            await takeScheduledBackup(settings, deps);
          } catch (error) {
            await deps
              .onFailure?.(due, error)
              .catch((notifyError: unknown) =>
                deps.logger.warn({ err: notifyError }, 'cannot enqueue the backup_failed notification'),
              );
            throw error;
          }
          if (first) up();
          first = false;
          continue;
        }
        if (first) up();
        first = false;
        await sleep(due.getTime() - now.getTime(), signal, timers);
      }
    },
  };
}

/** The next firing after the newest scheduled backup; `now` when there is none. */
export async function nextDue(store: Store, cron: CronExpression, now: Date): Promise<Date> {
  const [newest] = await listBackups(store.db, 'schedule');
  if (!newest) return now;
  return cron.next(new Date(newest.created_at)) ?? new Date(8.64e15);
}

/** Takes one backup into the backup directory, then keeps only the newest `retain` scheduled ones. */
export async function takeScheduledBackup(
  settings: ScheduledBackupSettings,
  deps: ScheduledBackupDeps,
): Promise<void> {
  const now = deps.clock.now();
  await mkdir(settings.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const file = path.resolve(settings.dir, `tide-backup-${now.toISOString().replace(/[:.]/g, '-')}.tar`);
  const created = await createBackup({
    store: deps.store,
    clock: { now: () => now },
    file,
    trigger: 'schedule',
    configDir: deps.configDir,
    keyIds: await deps.keyIds(),
  });
  deps.logger.info(
    { file: created.file, size: created.size, sha256: created.sha256 },
    'scheduled backup written',
  );
  const expired = (await listBackups(deps.store.db, 'schedule')).slice(settings.retain);
  for (const backup of expired) {
    await rm(backup.file, { force: true });
    await deleteBackupRecord(deps.store.db, backup.id);
    deps.logger.info({ file: backup.file }, 'old scheduled backup removed (TIDE_BACKUP_RETAIN)');
  }
}
