/**
 * The ends the overrides panel offers, computed in the workspace's zone (not the browser's): "21:00"
 * means 21:00 where the workspace runs, as the CLI's `--until 21:00` does (docs/overrides.md).
 */
import type { WorkspaceOverride } from '../../api/types';
import { addDays, instantInZone, wallClock } from '../../lib/time';

/** 21:00 today in the zone, or tomorrow once today's has passed (an end must be in the future). */
export function tonightAt21(now: number, zone: string): { until: string; tomorrow: boolean } {
  const today = wallClock(new Date(now), zone).date;
  const tonight = instantInZone(today, '21:00', zone);
  if (tonight.getTime() > now) return { until: tonight.toISOString(), tomorrow: false };
  return { until: instantInZone(addDays(today, 1), '21:00', zone).toISOString(), tomorrow: true };
}

/**
 * Extending a TTL is keeping the workspace up longer (docs/ttl.md): an hour past the latest of the TTL's
 * end, the keep-ups in force and now, so each click adds an hour.
 */
export function extendedKeepUp(
  now: number,
  overrides: readonly WorkspaceOverride[],
  ttlEnd?: string,
  hours = 1,
): string {
  const ends = overrides
    .filter((override) => override.kind === 'keep_up_until')
    .map((override) => Date.parse(override.ends_at));
  if (ttlEnd) ends.push(Date.parse(ttlEnd));
  return new Date(Math.max(now, ...ends) + hours * 3_600_000).toISOString();
}

/** A `datetime-local` value (wall clock in the workspace's zone) as the instant the API takes. */
export function untilFromInput(value: string, zone: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return match ? instantInZone(match[1]!, match[2]!, zone).toISOString() : null;
}

export const KIND_LABELS: Record<WorkspaceOverride['kind'], string> = {
  keep_up_until: 'Keep up',
  keep_down_until: 'Keep down',
  skip_next: 'Skip next',
  pause_until: 'Pause',
};

export function describeOverride(override: Pick<WorkspaceOverride, 'kind' | 'action'>): string {
  return override.kind === 'skip_next'
    ? `Skip next ${override.action ?? ''}`.trim()
    : KIND_LABELS[override.kind];
}
