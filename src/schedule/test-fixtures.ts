/**
 * Builders for schedule tests: a `WorkspaceDefinition` with neutral defaults (UTC, no schedules, default
 * policy) shaped by a few schedule-oriented options, and calendars from a list of dates. Schedule keys
 * follow the config's field names (`deploy_schedule[0]`, `mode_schedules.large[0]`, `uptime[1]`).
 */
import { defaultPolicy, type WorkspaceDefinition } from '../config/config-model.ts';
import type { Calendar, EdgeSchedule, UptimeWindow } from './schedule-model.ts';

type Schedule = string | readonly string[];

export interface WorkspaceFixtureOptions {
  readonly name?: string;
  /** Zone of the workspace and of its schedules (default `UTC`). */
  readonly timezone?: string;
  readonly deploy?: Schedule;
  readonly destroy?: Schedule;
  readonly plan?: Schedule;
  /** Mode → when to deploy in that mode. */
  readonly modes?: Readonly<Record<string, Schedule>>;
  /** Job name → its cron schedule. */
  readonly jobs?: Readonly<Record<string, Schedule>>;
  /** Windows without keys; `days` defaults to `*`. */
  readonly uptime?: readonly (Omit<UptimeWindow, 'key' | 'days'> & { days?: string })[];
  readonly calendars?: readonly string[];
}

export function workspaceFixture(options: WorkspaceFixtureOptions = {}): WorkspaceDefinition {
  const name = options.name ?? 'web';
  const timezone = options.timezone ?? 'UTC';
  const edge =
    (key: string, action: EdgeSchedule['action'], extra: Partial<EdgeSchedule> = {}) =>
    (cron: string, index: number): EdgeSchedule => ({
      key: `${key}[${index}]`,
      action,
      cron,
      timezone,
      ...extra,
    });
  const edges = [
    ...list(options.deploy).map(edge('deploy_schedule', 'deploy')),
    ...list(options.destroy).map(edge('destroy_schedule', 'destroy')),
    ...Object.entries(options.modes ?? {}).flatMap(([mode, crons]) =>
      list(crons).map(edge(`mode_schedules.${mode}`, 'deploy', { mode })),
    ),
    ...list(options.plan).map(edge('plan_schedule', 'plan')),
    ...Object.entries(options.jobs ?? {}).flatMap(([job, crons]) =>
      list(crons).map(edge(`jobs.${job}.schedule`, 'job', { job })),
    ),
  ];
  const uptime = (options.uptime ?? []).map((window, index) => ({
    days: '*',
    ...window,
    key: `uptime[${index}]`,
  }));
  return {
    name,
    enabled: true,
    description: '',
    timezone,
    edges,
    uptime,
    enforce: false,
    calendars: options.calendars ?? [],
    modes: {},
    variables: {},
    sensitiveVariables: [],
    dependsOn: [],
    protect: false,
    driftRemediate: false,
    labels: {},
    policy: defaultPolicy,
    notifications: [],
    jobs: [],
    directory: `/config/workspaces/${name}`,
    file: `workspaces/${name}/config.json`,
    files: ['config.json'],
    contentHash: 'fixture',
  };
}

function list(schedule: Schedule | undefined): readonly string[] {
  if (schedule === undefined) return [];
  return typeof schedule === 'string' ? [schedule] : schedule;
}

/** A calendar from `YYYY-MM-DD` dates, optionally named (`{'2027-12-25': 'Christmas'}`). */
export function calendarFixture(
  name: string,
  dates: readonly string[] | Readonly<Record<string, string>>,
): Calendar {
  const entries = Array.isArray(dates)
    ? dates.map((date: string) => ({ date }))
    : Object.entries(dates).map(([date, label]) => ({ date, name: label }));
  return {
    name,
    file: `calendars/${name}.yaml`,
    dates: new Set(entries.map((entry) => entry.date)),
    entries,
  };
}

/** The map the schedule functions take, keyed by calendar name. */
export function calendarMap(...calendars: readonly Calendar[]): ReadonlyMap<string, Calendar> {
  return new Map(calendars.map((calendar) => [calendar.name, calendar]));
}

/** Shorthand for instants in tests: `at('2027-03-15T08:00:00Z')`. */
export function at(iso: string): Date {
  return new Date(iso);
}
