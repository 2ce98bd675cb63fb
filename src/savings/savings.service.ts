/**
 * Savings of the configured workspaces with an `hourly_cost` (docs/savings.md): reads their deploy/destroy
 * history and hands it to the pure computation. Workspaces without `hourly_cost` are listed as excluded.
 */
import type { WorkspaceDefinition } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { TideError } from '../errors/tide-error.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { lifecycleEvents } from './savings.repo.ts';
import { computeSavings, downIntervals, type SavingsBucket, type SavingsReport } from './savings.ts';

export interface SavingsQuery {
  /** Default: the start of the current UTC month. */
  readonly since?: Date;
  /** Default (and at most): now — the future saved nothing yet. */
  readonly until?: Date;
  /** Default: day. */
  readonly bucket?: SavingsBucket;
  /** Only this workspace. */
  readonly workspace?: string;
}

export type SavingsView = SavingsReport & { readonly excluded: readonly string[] };

export interface SavingsServiceDeps {
  readonly db: Db;
  readonly clock: Clock;
  config(): EffectiveConfig;
}

export class SavingsService {
  constructor(private readonly deps: SavingsServiceDeps) {}

  /** `visible` filters the workspaces the caller may see (their token's scope). */
  async report(
    query: SavingsQuery,
    visible: (workspace: string) => boolean = () => true,
  ): Promise<SavingsView> {
    const now = this.deps.clock.now();
    const until = new Date(Math.min((query.until ?? now).getTime(), now.getTime()));
    const since = query.since ?? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    if (since.getTime() >= until.getTime()) {
      throw new TideError(
        'validation_failed',
        `since (${since.toISOString()}) must be before until (${until.toISOString()}, never after now)`,
        { details: { since: since.toISOString(), until: until.toISOString() } },
      );
    }
    // A workspace whose files are rejected keeps its last good definition; one never valid has none.
    const workspaces = [...this.deps.config().workspaces.values()]
      .map((effective) => effective.definition)
      .filter((w): w is WorkspaceDefinition => w !== null && visible(w.name));
    if (query.workspace !== undefined && !workspaces.some((w) => w.name === query.workspace)) {
      throw new TideError('not_found', `workspace ${query.workspace} is not configured`);
    }
    const selected = workspaces.filter((w) => query.workspace === undefined || w.name === query.workspace);
    const costed = selected.filter((w) => w.hourlyCost !== undefined);
    const events = await lifecycleEvents(
      this.deps.db,
      costed.map((w) => w.name),
      until,
    );
    const report = computeSavings(
      costed.map((w) => ({ workspace: w.name, hourlyCost: w.hourlyCost!, events: events.get(w.name) ?? [] })),
      { since: since.getTime(), until: until.getTime(), bucket: query.bucket ?? 'day' },
    );
    const excluded = selected
      .filter((w) => w.hourlyCost === undefined)
      .map((w) => w.name)
      .sort();
    return { ...report, excluded };
  }
  /**
   * Money saved by each configured workspace with an `hourly_cost`, from its first succeeded deploy in the
   * run history up to now (what `tide_saved_cost_total` exposes).
   */
  async savedToDate(): Promise<Map<string, number>> {
    const now = this.deps.clock.now();
    const costed = [...this.deps.config().workspaces.values()]
      .map((effective) => effective.definition)
      .filter((w): w is WorkspaceDefinition => w?.hourlyCost !== undefined);
    const events = await lifecycleEvents(
      this.deps.db,
      costed.map((w) => w.name),
      now,
    );
    return new Map(
      costed.map((w) => {
        const intervals = downIntervals(events.get(w.name) ?? [], 0, now.getTime());
        const ms = intervals.reduce((sum, interval) => sum + interval.end - interval.start, 0);
        return [w.name, (ms / 3_600_000) * w.hourlyCost!];
      }),
    );
  }
}
