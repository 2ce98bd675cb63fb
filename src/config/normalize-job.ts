import { durationOr } from '../time/duration.ts';
import type { JobDefinition } from './config-model.ts';
import type { EdgeSchedule } from '../schedule/schedule-model.ts';
import { defaultJobTimeoutMs } from './config-model.ts';
import type { StandaloneJobConfig, WorkspaceJobConfig } from './job-config.schema.ts';
import { isEventTrigger, scheduleEntries, type EventTrigger } from './schedule-field.schema.ts';

/** A validated job config (workspace or standalone) in its runtime form. */
export function normalizeJob(
  config: WorkspaceJobConfig | StandaloneJobConfig,
  context: {
    name: string;
    scope: string;
    workspace?: string;
    timezone: string;
    file: string;
    keyPrefix: string;
  },
): JobDefinition {
  const timezone = config.timezone ?? context.timezone;
  const entries = scheduleEntries(config.schedule);
  const events = new Set<Exclude<EventTrigger, '@reboot'>>();
  const schedules: EdgeSchedule[] = [];
  for (const entry of entries) {
    if (isEventTrigger(entry)) {
      events.add(entry === '@reboot' ? '@startup' : (entry as Exclude<EventTrigger, '@reboot'>));
    } else if (!schedules.some((schedule) => schedule.cron === entry)) {
      schedules.push({
        key: `${context.keyPrefix}:${entry}`,
        action: 'job',
        job: context.name,
        cron: entry,
        timezone,
      });
    }
  }
  return Object.freeze({
    name: context.name,
    scope: context.scope,
    workspace: context.workspace,
    description: config.description ?? '',
    type: config.type,
    script: config.script,
    command: config.command,
    template: config.template,
    schedules,
    events: [...events],
    environment: config.environment ?? {},
    workingDir: config.working_dir,
    timeoutMs: durationOr(config.timeout, defaultJobTimeoutMs),
    enabled: config.enabled ?? false,
    dependsOn: config.depends_on ?? [],
    retries: config.retries ?? 0,
    timezone,
    tags: 'tags' in config ? (config.tags ?? []) : [],
    file: context.file,
  });
}
