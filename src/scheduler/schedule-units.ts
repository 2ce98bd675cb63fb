/**
 * A unit is what the scheduler evaluates on its own, with its own checkpoint: a workspace (its edges,
 * windows and job schedules) or a standalone job.
 */
import type { JobDefinition, WorkspaceDefinition } from '../config/config-model.ts';
import type { Calendar } from '../schedule/schedule-model.ts';
import { defaultPolicy } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { standaloneScope } from '../config/names.ts';
import { lockKeyFor } from '../run/run.ts';
import { parseCron } from '../schedule/cron.ts';
import { nextFirings, upcomingFirings, type Firing } from '../schedule/firings.ts';
import type { DecisionInput } from './firing-decisions.ts';
import { eachStep, runAtOnce, type Steps } from '../time/slices.ts';

export interface ScheduleUnit {
  /** Checkpoint key: the workspace name, or `job:<name>` for a standalone job. */
  readonly key: string;
  /** Ledger and run workspace: the workspace name or `_standalone_`. */
  readonly scope: string;
  readonly lockKey: string;
  readonly enabled: boolean;
  readonly policyHolder: DecisionInput['definition'];
  readonly workspace?: WorkspaceDefinition;
  readonly job?: JobDefinition;
  /** Firings in `(after, until]`. */
  firings(after: Date, until: Date): Firing[];
  /** The first firing after `after`, or null. */
  next(after: Date): Date | null;
}

const firingLimit = 10_000;

function workspaceUnit(
  definition: WorkspaceDefinition,
  calendars: ReadonlyMap<string, Calendar>,
): ScheduleUnit {
  return {
    key: definition.name,
    scope: definition.name,
    lockKey: definition.name,
    enabled: definition.enabled,
    policyHolder: definition,
    workspace: definition,
    firings: (after, until) => upcomingFirings(definition, calendars, { after, until, limit: firingLimit }),
    next: (after) => nextFirings(definition, calendars, after, 1)[0]?.scheduled_at ?? null,
  };
}

function standaloneJobUnit(job: JobDefinition): ScheduleUnit {
  const crons = job.schedules.flatMap((schedule) => {
    const parsed = parseCron(schedule.cron, schedule.timezone);
    return parsed.ok ? [{ schedule, cron: parsed.cron }] : [];
  });
  return {
    key: `job:${job.name}`,
    scope: standaloneScope,
    lockKey: lockKeyFor({ workspace: standaloneScope, job: job.name }),
    enabled: job.enabled,
    policyHolder: { policy: defaultPolicy, protect: false, contentHash: '' },
    job,
    firings: (after, until) =>
      crons
        .flatMap(({ schedule, cron }) =>
          cron.between(after, until, firingLimit).map((at) => ({
            schedule_key: schedule.key,
            action: 'job' as const,
            job: job.name,
            scheduled_at: at,
          })),
        )
        .sort((a, b) => a.scheduled_at.getTime() - b.scheduled_at.getTime()),
    next: (after) =>
      crons.reduce<Date | null>((best, { cron }) => {
        const next = cron.next(after);
        return next && (!best || next < best) ? next : best;
      }, null),
  };
}

/** Every unit of the configuration in force (last good definitions included). */
export function scheduleUnits(config: EffectiveConfig): ScheduleUnit[] {
  return runAtOnce(scheduleUnitSteps(config));
}

/**
 * scheduleUnits with pause points, for the scheduler's rebuild after a reload (decision 042). A unit of
 * `previous` built from the very same definition object is kept rather than rebuilt: a reload then leaves
 * garbage only for what changed. The caller passes `previous` only while the calendars are unchanged.
 */
export function* scheduleUnitSteps(
  config: EffectiveConfig,
  previous?: ReadonlyMap<string, ScheduleUnit>,
): Steps<ScheduleUnit[]> {
  const units: ScheduleUnit[] = [];
  yield* eachStep(config.workspaces.values(), ({ definition }) => {
    if (!definition) return;
    const kept = previous?.get(definition.name);
    units.push(kept?.workspace === definition ? kept : workspaceUnit(definition, config.snapshot.calendars));
  });
  yield* eachStep(config.jobs.values(), ({ definition }) => {
    if (!definition || definition.schedules.length === 0) return;
    const kept = previous?.get(`job:${definition.name}`);
    units.push(kept?.job === definition ? kept : standaloneJobUnit(definition));
  });
  return units;
}
