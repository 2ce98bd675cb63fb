/**
 * The schedule preview with overrides applied (`GET /api/v1/workspaces/{name}/schedule`,
 * `tide schedule preview`): firings they skip are marked, the deploy/destroy an override's end hands back
 * is added, the timeline shows keep_up_until / keep_down_until periods as up / down, and the overrides'
 * periods are listed. Pure; the preview itself (src/schedule/preview.ts) knows nothing of overrides.
 */
import {
  formatLocalTime,
  type PreviewFiring,
  type PreviewSegment,
  type SchedulePreview,
} from '../schedule/preview.ts';
import { activeOverrides, overrideReason, withOverrides, type Override } from './override.ts';

export function previewWithOverrides(
  preview: SchedulePreview,
  overrides: readonly Override[],
  now: Date,
): SchedulePreview {
  const from = new Date(preview.from);
  const until = new Date(preview.until);
  const active = activeOverrides(overrides, now).filter((override) => override.ends_at > from);
  if (active.length === 0) return preview;
  const zone = preview.timezone;
  const firings = withOverrides(
    preview.firings
      .filter((firing) => firing.skipped !== 'calendar')
      .map((firing) => ({ ...firing, scheduled_at: new Date(firing.scheduled_at) })),
    active,
    now,
  ).flatMap(({ firing, skippedBy, handback }): PreviewFiring[] => {
    if (handback && firing.scheduled_at >= until) return [];
    const shown: PreviewFiring = {
      ...firing,
      scheduled_at: firing.scheduled_at.toISOString(),
      local_time: formatLocalTime(firing.scheduled_at, zone),
    };
    return [skippedBy ? { ...shown, skipped: 'override', override_id: skippedBy.id } : shown];
  });
  // Calendar-skipped firings were left out of the override pass (they never run); put them back.
  const calendarSkipped = preview.firings.filter((firing) => firing.skipped === 'calendar');
  return {
    ...preview,
    firings: [...firings, ...calendarSkipped].sort((a, b) => a.scheduled_at.localeCompare(b.scheduled_at)),
    timeline: overlayTimeline(preview.timeline, active, now, zone),
    overrides: active.map((override) => {
      const start = override.created_at > from ? override.created_at : from;
      const end = override.ends_at < until ? override.ends_at : until;
      return {
        id: override.id,
        kind: override.kind,
        action: override.action,
        start: start.toISOString(),
        end: end.toISOString(),
        local_start: formatLocalTime(start, zone),
        local_end: formatLocalTime(end, zone),
        reason: override.reason,
      };
    }),
  };
}

/** keep_up_until / keep_down_until periods replace the scheduled state over their span. */
function overlayTimeline(
  segments: readonly PreviewSegment[],
  overrides: readonly Override[],
  now: Date,
  zone: string,
): PreviewSegment[] {
  let result = [...segments];
  for (const override of overrides) {
    if (override.kind !== 'keep_up_until' && override.kind !== 'keep_down_until') continue;
    const start = override.created_at > now ? override.created_at : now;
    const state = override.kind === 'keep_up_until' ? 'up' : 'down';
    result = result.flatMap((segment) => {
      const segStart = new Date(segment.start);
      const segEnd = new Date(segment.end);
      if (segEnd <= start || segStart >= override.ends_at) return [segment];
      const cut = (a: Date, b: Date, base: PreviewSegment = segment): PreviewSegment[] =>
        a < b
          ? [
              {
                ...base,
                start: a.toISOString(),
                end: b.toISOString(),
                local_start: formatLocalTime(a, zone),
                local_end: formatLocalTime(b, zone),
              },
            ]
          : [];
      const inside = {
        start: segStart > start ? segStart : start,
        end: segEnd < override.ends_at ? segEnd : override.ends_at,
      };
      const { mode, ...withoutMode } = segment;
      const patched: PreviewSegment =
        state === 'up' && segment.state === 'up' && mode !== undefined
          ? { ...segment, state, reason: overrideReason(override) }
          : { ...withoutMode, state, reason: overrideReason(override) };
      return [
        ...cut(segStart, inside.start),
        ...cut(inside.start, inside.end, patched),
        ...cut(inside.end, segEnd),
      ];
    });
  }
  return result;
}
