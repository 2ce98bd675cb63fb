/**
 * A unit is what the scheduler evaluates on its own, with its own checkpoint: a workspace (its edges,
 * windows and job schedules) or a standalone job.
 */
import type { JobDefinition, WorkspaceDefinition } from '../config/config-model.ts';
import type { Calendar, EdgeSchedule } from '../schedule/schedule-model.ts';
import { defaultPolicy } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { standaloneScope } from '../config/names.ts';
import { lockKeyFor } from '../run/run.ts';
import { parseCron, type CronExpression } from '../schedule/cron.ts';
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

/*
 * Units are classes, not object literals with arrow functions: at 10,000 workspaces two closures and
 * their context per unit were 1.6 MB of heap (decision 041, "the heap per workspace").
 */

class WorkspaceUnit implements ScheduleUnit {
  readonly workspace: WorkspaceDefinition;
  readonly #calendars: ReadonlyMap<string, Calendar>;

  constructor(definition: WorkspaceDefinition, calendars: ReadonlyMap<string, Calendar>) {
    this.workspace = definition;
    this.#calendars = calendars;
  }

  get key(): string {
    return this.workspace.name;
  }

  get scope(): string {
    return this.workspace.name;
  }

  get lockKey(): string {
    return this.workspace.name;
  }

  get enabled(): boolean {
    return this.workspace.enabled;
  }

  get policyHolder(): WorkspaceDefinition {
    return this.workspace;
  }

  firings(after: Date, until: Date): Firing[] {
    return upcomingFirings(this.workspace, this.#calendars, { after, until, limit: firingLimit });
  }

  next(after: Date): Date | null {
    return nextFirings(this.workspace, this.#calendars, after, 1)[0]?.scheduled_at ?? null;
  }
}

const standalonePolicyHolder: DecisionInput['definition'] = Object.freeze({
  policy: defaultPolicy,
  protect: false,
  contentHash: '',
});

class StandaloneJobUnit implements ScheduleUnit {
  readonly key: string;
  readonly scope = standaloneScope;
  readonly lockKey: string;
  readonly policyHolder = standalonePolicyHolder;
  readonly job: JobDefinition;
  readonly #crons: readonly { schedule: EdgeSchedule; cron: CronExpression }[];

  constructor(job: JobDefinition) {
    this.key = `job:${job.name}`;
    this.lockKey = lockKeyFor({ workspace: standaloneScope, job: job.name });
    this.job = job;
    this.#crons = job.schedules.flatMap((schedule) => {
      const parsed = parseCron(schedule.cron, schedule.timezone);
      return parsed.ok ? [{ schedule, cron: parsed.cron }] : [];
    });
  }

  get enabled(): boolean {
    return this.job.enabled;
  }

  firings(after: Date, until: Date): Firing[] {
    return this.#crons
      .flatMap(({ schedule, cron }) =>
        cron.between(after, until, firingLimit).map((at) => ({
          schedule_key: schedule.key,
          action: 'job' as const,
          job: this.job.name,
          scheduled_at: at,
        })),
      )
      .sort((a, b) => a.scheduled_at.getTime() - b.scheduled_at.getTime());
  }

  next(after: Date): Date | null {
    return this.#crons.reduce<Date | null>((best, { cron }) => {
      const next = cron.next(after);
      return next && (!best || next < best) ? next : best;
    }, null);
  }
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
  previous?: (key: string) => ScheduleUnit | undefined,
): Steps<ScheduleUnit[]> {
  const units: ScheduleUnit[] = [];
  yield* eachStep(config.workspaces.values(), ({ definition }) => {
    if (!definition) return;
    const kept = previous?.(definition.name);
    units.push(
      kept?.workspace === definition ? kept : new WorkspaceUnit(definition, config.snapshot.calendars),
    );
  });
  yield* eachStep(config.jobs.values(), ({ definition }) => {
    if (!definition || definition.schedules.length === 0) return;
    const kept = previous?.(`job:${definition.name}`);
    units.push(kept?.job === definition ? kept : new StandaloneJobUnit(definition));
  });
  return units;
}
