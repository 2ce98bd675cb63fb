/**
 * What the schedule computes from: a workspace's cron edges, uptime windows and calendars, as the config
 * loader normalises them (src/config/config-model.ts builds its WorkspaceDefinition from these). Defined
 * here, below the config, because the config's validators use the schedule's cron and time code.
 */

/** One cron-driven schedule entry. `key` is the ledger's schedule_key: stable while the entry is unchanged. */
export interface EdgeSchedule {
  readonly key: string;
  readonly action: 'deploy' | 'destroy' | 'plan' | 'job';
  /** Set for `mode_schedules` entries: deploy in this mode. */
  readonly mode?: string;
  /** Set for job schedules. */
  readonly job?: string;
  readonly cron: string;
  readonly timezone: string;
}

export interface UptimeWindow {
  /** Ledger key of this window's boundary firings, e.g. `uptime[0]`. */
  readonly key: string;
  /** Cron day-of-week syntax, `*` when every day. */
  readonly days: string;
  /** `HH:MM` local. */
  readonly from: string;
  /** `HH:MM` local or `24:00`; not after `from` means the next day. */
  readonly to: string;
  readonly mode?: string;
}

export interface CalendarDate {
  readonly date: string;
  readonly name?: string;
}

export interface Calendar {
  readonly name: string;
  readonly file: string;
  /** Local dates (`YYYY-MM-DD`) on which windows are closed. */
  readonly dates: ReadonlySet<string>;
  readonly entries: readonly CalendarDate[];
}

/** The part of a workspace's definition the schedule reads. */
export interface ScheduledWorkspace {
  readonly name: string;
  readonly timezone: string;
  /** deploy/destroy/mode/plan schedules, plus workspace job cron schedules. */
  readonly edges: readonly EdgeSchedule[];
  readonly uptime: readonly UptimeWindow[];
  /** Names of the calendars whose dates close the uptime windows. */
  readonly calendars: readonly string[];
}
