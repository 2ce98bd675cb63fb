import { durationOr } from '../time/duration.ts';
import type { JobDefinition, JsonValue, WorkspaceDefinition, WorkspacePolicy } from './config-model.ts';
import type { EdgeSchedule, UptimeWindow } from '../schedule/schedule-model.ts';
import { defaultPolicy } from './config-model.ts';
import { normalizeJob } from './normalize-job.ts';
import { joined, NO_ENTRIES, NO_ITEMS, SharedValues } from './shared-values.ts';
import { scheduleEntries } from './schedule-field.schema.ts';
import type { WorkspaceConfig } from './workspace-config.schema.ts';

function normalizePolicy(policy: WorkspaceConfig['policy']): WorkspacePolicy {
  if (policy === undefined) return defaultPolicy;
  return Object.freeze({
    catchUp: policy?.catch_up ?? defaultPolicy.catchUp,
    startingDeadlineMs: durationOr(policy?.starting_deadline, defaultPolicy.startingDeadlineMs),
    concurrency: policy?.concurrency ?? defaultPolicy.concurrency,
    jitterMs: durationOr(policy?.jitter, defaultPolicy.jitterMs),
    retries: policy?.retries ?? defaultPolicy.retries,
    backoffBaseMs: durationOr(policy?.backoff?.base, defaultPolicy.backoffBaseMs),
    backoffMaxMs: durationOr(policy?.backoff?.max, defaultPolicy.backoffMaxMs),
    retryOn: policy?.retry_on ?? defaultPolicy.retryOn,
    timeoutMs: durationOr(policy?.timeout, defaultPolicy.timeoutMs),
  });
}

/** Edges of distinct schedules remembered: many workspaces share a schedule (`0 8 * * 1-5`) and a zone. */
const sharedEdges = new SharedValues<EdgeSchedule>(5000);
/** Lists of those edges remembered: many workspaces share the whole list (a deploy and a destroy). */
const sharedEdgeLists = new SharedValues<readonly EdgeSchedule[]>(5000);

/**
 * Cron edges of a workspace with ledger keys `<field>:<expression>` (stable while the entry is unchanged).
 * Edges and the list are frozen and shared by the workspaces with the same ones (an edge's field gives its
 * action and mode).
 */
export function workspaceEdges(config: WorkspaceConfig, timezone: string): readonly EdgeSchedule[] {
  const edges: EdgeSchedule[] = [];
  const add = (
    field: string,
    value: string | string[] | false | undefined,
    extra: Partial<EdgeSchedule> & Pick<EdgeSchedule, 'action'>,
  ) => {
    for (const cron of new Set(scheduleEntries(value))) {
      const key = joined(field, ':', cron);
      edges.push(
        sharedEdges.get(joined(key, '\0', timezone), () => Object.freeze({ key, cron, timezone, ...extra })),
      );
    }
  };
  add('deploy_schedule', config.deploy_schedule, { action: 'deploy' });
  for (const [mode, value] of Object.entries(config.mode_schedules ?? {})) {
    add(`mode_schedules.${mode}`, value, { action: 'deploy', mode });
  }
  add('destroy_schedule', config.destroy_schedule, { action: 'destroy' });
  add('drift_schedule', config.drift_schedule, { action: 'plan' });
  // The deprecated alias keeps its own ledger key, so a renamed entry starts afresh like any edited one.
  add('plan_schedule', config.plan_schedule, { action: 'plan' });
  if (edges.length === 0) return NO_ITEMS;
  const key = joined(timezone, '\0', edges.map((edge) => edge.key).join('\0'));
  return sharedEdgeLists.get(key, () => Object.freeze(edges));
}

/** Every mode the workspace mentions, with the variables `modes` gives it. */
export function workspaceModes(
  config: WorkspaceConfig,
): Readonly<Record<string, Readonly<Record<string, JsonValue>>>> {
  const modes: Record<string, Record<string, JsonValue>> = {};
  for (const mode of Object.keys(config.mode_schedules ?? {})) modes[mode] = {};
  for (const window of config.uptime ?? []) if (window.mode) modes[window.mode] = {};
  for (const [mode, settings] of Object.entries(config.modes ?? {})) {
    modes[mode] = (settings.variables ?? {}) as Record<string, JsonValue>;
  }
  return Object.keys(modes).length > 0 ? modes : NO_ENTRIES;
}

/** The workspace's own edges, then its jobs'; only a workspace with scheduled jobs gets a list of its own. */
function withJobEdges(own: readonly EdgeSchedule[], jobs: readonly JobDefinition[]): readonly EdgeSchedule[] {
  // A disabled job's cron does not fire (it can still be run by hand: docs/jobs.md).
  const jobEdges = jobs.filter((job) => job.enabled).flatMap((job) => job.schedules);
  return jobEdges.length === 0 ? own : [...own, ...jobEdges];
}

export function normalizeWorkspace(
  config: WorkspaceConfig,
  context: {
    name: string;
    defaultTimeZone: string;
    directory: string;
    file: string;
    files: readonly string[];
    contentHash: string;
  },
): WorkspaceDefinition {
  const timezone = config.timezone ?? context.defaultTimeZone;
  const jobs = config.jobs
    ? config.jobs.map((job) =>
        normalizeJob(job, {
          name: job.name,
          scope: context.name,
          workspace: context.name,
          timezone,
          file: context.file,
          keyPrefix: `jobs.${job.name}`,
        }),
      )
    : NO_ITEMS;
  const uptime: readonly UptimeWindow[] = config.uptime
    ? config.uptime.map((window, index) => ({
        key: `uptime[${index}]`,
        days: window.days ?? '*',
        from: window.from,
        to: window.to,
        mode: window.mode,
      }))
    : NO_ITEMS;
  const calendars =
    config.calendar === undefined
      ? NO_ITEMS
      : typeof config.calendar === 'string'
        ? [config.calendar]
        : config.calendar;
  return Object.freeze({
    name: context.name,
    enabled: config.enabled ?? false,
    description: config.description ?? '',
    timezone,
    template: config.template,
    edges: withJobEdges(workspaceEdges(config, timezone), jobs),
    uptime,
    enforce: config.enforce ?? false,
    calendars,
    modes: workspaceModes(config),
    variables: (config.variables ?? NO_ENTRIES) as Record<string, JsonValue>,
    sensitiveVariables: config.sensitive_variables ?? NO_ITEMS,
    dependsOn: config.depends_on ?? NO_ITEMS,
    ttlMs: config.ttl === undefined ? undefined : durationOr(config.ttl, 0),
    ...(config.pre_destroy_check
      ? {
          preDestroyCheck: {
            ...(config.pre_destroy_check.command === undefined
              ? {}
              : { command: config.pre_destroy_check.command.split(/\s+/) }),
            ...(config.pre_destroy_check.http === undefined ? {} : { http: config.pre_destroy_check.http }),
            timeoutMs: durationOr(config.pre_destroy_check.timeout, 30_000),
          },
        }
      : {}),
    protect: config.protect ?? false,
    driftRemediate: config.drift?.remediate ?? false,
    hourlyCost: config.hourly_cost,
    labels: config.labels ?? NO_ENTRIES,
    policy: normalizePolicy(config.policy),
    notifications: config.notifications
      ? config.notifications.map((rule) => ({
          on: rule.on,
          actions: rule.actions ?? [],
          email: rule.email ?? [],
          webhook: rule.webhook,
          webhookSecret: rule.webhook_secret,
          slackUrlSecret: rule.slack?.url_secret,
          teamsUrlSecret: rule.teams?.url_secret,
          target: rule.target,
          remindBeforeMs: (rule.remind_before ?? []).map((text) => durationOr(text, 0)),
        }))
      : NO_ITEMS,
    jobs,
    customDeploy: config.custom_deploy,
    customDestroy: config.custom_destroy,
    directory: context.directory,
    file: context.file,
    files: context.files,
    contentHash: context.contentHash,
  });
}
