/**
 * A workspace as the API shows it (SPEC §6): its configuration merged with what Tide observed and the
 * runs it has. Pure: every input is passed in, so the representation is testable without a database.
 */
import type { WorkspaceDefinition } from '../config/config-model.ts';
import type { Calendar } from '../schedule/schedule-model.ts';
import type { Effective } from '../config/effective-config.ts';
import { nextFirings, type Firing } from '../schedule/firings.ts';
import { toRunView, type RunView } from '../run/run-view.ts';
import type { Run } from '../run/run.ts';
import type { WorkspaceObservedStatus } from '../store/schema.ts';
import type { DriftSummary, WorkspaceStatus } from '../workspace/workspace-status.repo.ts';
import { ttlDestroyAt } from '../workspace/ttl.ts';
import type { WorkspaceTtl } from '../workspace/ttl.repo.ts';
import {
  activeKeepUpUntil,
  activeOverrides,
  toOverrideView,
  withOverrides,
  type Override,
  type OverrideView,
} from '../workspace/override.ts';

/** How many upcoming firings a workspace representation lists. */
export const NEXT_FIRINGS_SHOWN = 5;

export interface NextFiringView {
  readonly action: 'deploy' | 'destroy' | 'plan' | 'job';
  /** ISO 8601, UTC. */
  readonly scheduled_at: string;
  readonly mode?: string;
  readonly job?: string;
  readonly schedule_key: string;
}

export interface WorkspaceView {
  readonly name: string;
  /** The API's enable/disable override if set, else the config's `enabled`. */
  readonly enabled: boolean;
  /** Observed; `destroyed` for a workspace Tide never acted on. */
  readonly status: WorkspaceObservedStatus;
  readonly mode: string | null;
  readonly drifted: boolean;
  /** What the last drift check found (docs/drift.md); null before the first check. */
  readonly drift: DriftView | null;
  readonly description: string;
  readonly timezone: string | null;
  readonly template: string | null;
  readonly labels: Readonly<Record<string, string>>;
  /** The modes a deploy may ask for. */
  readonly modes: readonly string[];
  readonly protect: boolean;
  /** Firings overrides skip are left out; a deploy/destroy an override's end hands back is in. */
  readonly next_firings: readonly NextFiringView[];
  /** The overrides in force (docs/overrides.md). */
  readonly overrides: readonly OverrideView[];
  /** The running TTL (docs/ttl.md); null when none. */
  readonly ttl: TtlView | null;
  readonly current_run: RunView | null;
  readonly last_run: RunView | null;
  readonly config_error: string | null;
}

export interface DriftView {
  /** When the last drift check ended (ISO 8601, UTC). */
  readonly checked_at: string;
  /** When the drift in force began; null while not drifted. */
  readonly since: string | null;
  /** The last check's run. */
  readonly run_id: string | null;
  /** What the plan would change to undo the drift; null while not drifted. */
  readonly summary: DriftSummary | null;
  /** The drifted resources' addresses; empty while not drifted. */
  readonly addresses: readonly string[];
}

export interface TtlView {
  /** When the scheduler destroys the workspace: the TTL's end, postponed by an active keep_up_until. */
  readonly destroy_at: string;
  /** The end the deploy set, before any extension. */
  readonly ends_at: string;
  /** The end of the keep_up_until override that postpones it; null when not extended. */
  readonly extended_until: string | null;
  /** The manual deploy whose success set it, and when. */
  readonly run_id: string;
  readonly set_at: string;
}

export interface WorkspaceViewInput {
  readonly name: string;
  readonly effective: Effective<WorkspaceDefinition>;
  readonly status: WorkspaceStatus | null;
  /** The workspace's queued or running runs, any order. */
  readonly activeRuns: readonly Run[];
  /** Its latest finished run. */
  readonly lastRun: Run | null;
  readonly calendars: ReadonlyMap<string, Calendar>;
  readonly now: Date;
  /** Its overrides not removed or ended (older ones are left out anyway); none when absent. */
  readonly overrides?: readonly Override[];
  /** Its running TTL, if any. */
  readonly ttl?: WorkspaceTtl | null;
  /** nextFirings, or a cache of it (NextFiringsCache) that answers the same. */
  readonly nextFirings?: UpcomingFirings;
}

export type UpcomingFirings = (
  definition: WorkspaceDefinition,
  calendars: ReadonlyMap<string, Calendar>,
  now: Date,
  count: number,
) => readonly Firing[];

export function workspaceView(input: WorkspaceViewInput): WorkspaceView {
  const { definition, configError } = input.effective;
  const enabled = isEnabled(input.effective, input.status);
  const current = currentRun(input.activeRuns);
  return {
    name: input.name,
    enabled,
    status: input.status?.status ?? 'destroyed',
    mode: input.status?.mode ?? null,
    drifted: input.status?.drifted ?? false,
    drift: driftView(input.status),
    description: definition?.description ?? '',
    timezone: definition?.timezone ?? null,
    template: definition?.template ?? null,
    labels: definition?.labels ?? {},
    modes: Object.keys(definition?.modes ?? {}).sort(),
    protect: definition?.protect ?? false,
    // A disabled workspace fires nothing, so listing its schedule as "next" would mislead.
    next_firings:
      definition && enabled
        ? upcoming(
            definition,
            input.calendars,
            input.now,
            input.overrides ?? [],
            input.nextFirings ?? nextFirings,
          )
        : [],
    overrides: activeOverrides(input.overrides ?? [], input.now).map((o) => toOverrideView(o, input.now)),
    ttl: input.ttl ? ttlView(input.ttl, input.overrides ?? [], input.now) : null,
    current_run: current ? toRunView(current) : null,
    last_run: input.lastRun ? toRunView(input.lastRun) : null,
    config_error: configError,
  };
}

function ttlView(ttl: WorkspaceTtl, overrides: readonly Override[], now: Date): TtlView {
  // The same rule the scheduler applies (src/scheduler/ttl-firings.ts), so the dashboard shows its end.
  const keepUpUntil = activeKeepUpUntil(overrides, now);
  const destroyAt = ttlDestroyAt(ttl.destroyAt, keepUpUntil);
  return {
    destroy_at: destroyAt.toISOString(),
    ends_at: ttl.destroyAt.toISOString(),
    extended_until: destroyAt > ttl.destroyAt ? destroyAt.toISOString() : null,
    run_id: ttl.runId,
    set_at: ttl.setAt.toISOString(),
  };
}

function driftView(status: WorkspaceStatus | null): DriftView | null {
  if (!status?.drift_checked_at) return null;
  return {
    checked_at: status.drift_checked_at,
    since: status.drift_since,
    run_id: status.drift_run_id,
    summary: status.drift_summary,
    addresses: status.drift_addresses,
  };
}

export function isEnabled(
  effective: Effective<WorkspaceDefinition>,
  status: Pick<WorkspaceStatus, 'enabled_override'> | null,
): boolean {
  return status?.enabled_override ?? effective.definition?.enabled ?? false;
}

/**
 * The run holding the workspace: the running one, else the queued one the worker will claim first
 * (same order as the claim: priority, then age).
 */
export function currentRun(activeRuns: readonly Run[]): Run | null {
  const running = activeRuns.find((run) => run.state === 'running');
  if (running) return running;
  const queued = activeRuns
    .filter((run) => run.state === 'queued')
    .sort(
      (a, b) =>
        a.priority - b.priority || a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id),
    );
  return queued[0] ?? null;
}

function upcoming(
  definition: WorkspaceDefinition,
  calendars: ReadonlyMap<string, Calendar>,
  now: Date,
  overrides: readonly Override[],
  next: UpcomingFirings,
): NextFiringView[] {
  // Calendar- and override-skipped firings will not run; ask for spares so skips still leave five.
  const scheduled = next(definition, calendars, now, NEXT_FIRINGS_SHOWN * 4).filter(
    (firing) => firing.skip === undefined,
  );
  return withOverrides(scheduled, overrides, now)
    .filter((each) => !each.skippedBy)
    .slice(0, NEXT_FIRINGS_SHOWN)
    .map(({ firing }) => ({
      action: firing.action,
      scheduled_at: firing.scheduled_at.toISOString(),
      ...(firing.mode === undefined ? {} : { mode: firing.mode }),
      ...(firing.job === undefined ? {} : { job: firing.job }),
      schedule_key: firing.schedule_key,
    }));
}
