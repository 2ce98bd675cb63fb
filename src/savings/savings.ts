/**
 * Savings (docs/savings.md): how long each workspace was down because of its schedule, and what that saved.
 * Pure: succeeded deploy/destroy finishes in, down intervals and figures out.
 *
 * The formula. A workspace is *up* from the finish of a succeeded deploy to the finish of the next
 * succeeded destroy, and *down* from that destroy's finish to the next succeeded deploy's finish (or to
 * the end of the period). Before its first succeeded deploy it was never up, so nothing before it counts.
 * Down time is what the always-on baseline (never destroyed) would have run: the saved money is
 * `down hours × hourly_cost`. Buckets are UTC calendar days, ISO weeks (Monday 00:00 UTC) or months.
 */

export const savingsBuckets = ['day', 'week', 'month'] as const;
export type SavingsBucket = (typeof savingsBuckets)[number];

/** A succeeded deploy or destroy and when it finished (ms since the epoch). */
export interface LifecycleEvent {
  readonly action: 'deploy' | 'destroy';
  readonly finishedAt: number;
}

/** A half-open interval [start, end) in ms since the epoch. */
export interface Interval {
  readonly start: number;
  readonly end: number;
}

export interface BucketFigure {
  readonly start: string;
  readonly end: string;
  readonly down_hours: number;
  readonly saved: number;
}

export interface WorkspaceSavings {
  readonly workspace: string;
  readonly hourly_cost: number;
  readonly down_hours: number;
  readonly saved: number;
  readonly buckets: readonly BucketFigure[];
}

export interface SavingsReport {
  readonly since: string;
  readonly until: string;
  readonly bucket: SavingsBucket;
  readonly workspaces: readonly WorkspaceSavings[];
  readonly total: {
    readonly down_hours: number;
    readonly saved: number;
    readonly buckets: readonly BucketFigure[];
  };
}

const HOUR_MS = 3_600_000;

/**
 * The intervals a workspace was down within [since, until), from all its succeeded deploy/destroy
 * finishes (any order; earlier ones than `since` decide whether the period starts down).
 */
export function downIntervals(events: readonly LifecycleEvent[], since: number, until: number): Interval[] {
  const sorted = [...events].sort((a, b) => a.finishedAt - b.finishedAt);
  const intervals: Interval[] = [];
  let deployedOnce = false;
  let downSince: number | null = null;
  const close = (end: number): void => {
    if (downSince === null) return;
    const start = Math.max(downSince, since);
    const stop = Math.min(end, until);
    if (stop > start) intervals.push({ start, end: stop });
    downSince = null;
  };
  for (const event of sorted) {
    if (event.finishedAt >= until) break;
    if (event.action === 'deploy') {
      deployedOnce = true;
      close(event.finishedAt);
    } else if (deployedOnce && downSince === null) {
      downSince = event.finishedAt;
    }
  }
  close(until);
  return intervals;
}

/** The bucket boundaries covering [since, until): the first starts at or before `since`. */
export function bucketBoundaries(bucket: SavingsBucket, since: number, until: number): number[] {
  const bounds = [bucketStart(bucket, since)];
  while (bounds[bounds.length - 1]! < until) bounds.push(nextBucket(bucket, bounds[bounds.length - 1]!));
  return bounds;
}

function bucketStart(bucket: SavingsBucket, at: number): number {
  const d = new Date(at);
  if (bucket === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (bucket === 'day') return day;
  const sinceMonday = (d.getUTCDay() + 6) % 7;
  return day - sinceMonday * 24 * HOUR_MS;
}

function nextBucket(bucket: SavingsBucket, start: number): number {
  const d = new Date(start);
  if (bucket === 'month') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + (bucket === 'day' ? 1 : 7));
}

/** Rounded to 1e-6: floating point sums of hours and money stay readable and comparable. */
const round = (value: number): number => Math.round(value * 1e6) / 1e6;

function overlap(interval: Interval, start: number, end: number): number {
  return Math.max(0, Math.min(interval.end, end) - Math.max(interval.start, start));
}

export interface WorkspaceHistory {
  readonly workspace: string;
  readonly hourlyCost: number;
  readonly events: readonly LifecycleEvent[];
}

/** The savings of every workspace (each with its hourly cost) and their total, per bucket. */
export function computeSavings(
  histories: readonly WorkspaceHistory[],
  period: { readonly since: number; readonly until: number; readonly bucket: SavingsBucket },
): SavingsReport {
  const { since, until, bucket } = period;
  const bounds = bucketBoundaries(bucket, since, until);
  const slots = bounds.slice(0, -1).map((start, i) => ({ start, end: bounds[i + 1]! }));
  const totals = slots.map(() => ({ ms: 0, saved: 0 }));
  const workspaces = [...histories]
    .sort((a, b) => a.workspace.localeCompare(b.workspace))
    .map((history): WorkspaceSavings => {
      const intervals = downIntervals(history.events, since, until);
      const buckets = slots.map((slot, i) => {
        const ms = intervals.reduce((sum, interval) => sum + overlap(interval, slot.start, slot.end), 0);
        const saved = (ms / HOUR_MS) * history.hourlyCost;
        totals[i]!.ms += ms;
        totals[i]!.saved += saved;
        return figure(slot, ms, saved);
      });
      const ms = intervals.reduce((sum, interval) => sum + interval.end - interval.start, 0);
      return {
        workspace: history.workspace,
        hourly_cost: history.hourlyCost,
        down_hours: round(ms / HOUR_MS),
        saved: round((ms / HOUR_MS) * history.hourlyCost),
        buckets,
      };
    });
  return {
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    bucket,
    workspaces,
    total: {
      down_hours: round(workspaces.reduce((sum, w) => sum + w.down_hours, 0)),
      saved: round(workspaces.reduce((sum, w) => sum + w.saved, 0)),
      buckets: slots.map((slot, i) => figure(slot, totals[i]!.ms, totals[i]!.saved)),
    },
  };
}

function figure(slot: Interval, ms: number, saved: number): BucketFigure {
  return {
    start: new Date(slot.start).toISOString(),
    end: new Date(slot.end).toISOString(),
    down_hours: round(ms / HOUR_MS),
    saved: round(saved),
  };
}
