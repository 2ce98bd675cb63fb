/**
 * The week of one workspace as a picture (SVG): a row per day, 24 hours across, in the workspace's zone.
 * Upper band: the desired windows (up, with their mode; down left empty) and, dashed, the periods of
 * the overrides in force (from the schedule, which already applies them). Lower
 * band: runs as bars colored by result. Markers: firings — fired ●, skipped ▲ (calendar days), missed ✕,
 * planned ◇ — each with its reason on hover; the "now" line; the TTL's end (dashed), when one runs. Every mark has a <title>, and
 * the legend names each color, so nothing depends on color alone.
 */
import type { LedgerFiring, Run, Schedule, WorkspaceTtl } from '../../api/types';
import { runToneOf } from '../../components/Status';
import { addDays, formatInZone, formatUtc } from '../../lib/time';
import { describeOverride } from './override-presets';
import { DAYS, placeInstant, placeSpan, type Week } from './timeline-geometry';
import { TimelineLegend } from './TimelineLegend';

const LABEL = 92;
const HOUR = 30;
const ROW = 34;
const TOP = 22;
const WIDTH = LABEL + 24 * HOUR + 8;

const x = (hours: number) => LABEL + hours * HOUR;
const y = (day: number) => TOP + day * ROW;

export interface WeekTimelineProps {
  readonly workspace: { readonly name: string; readonly ttl?: WorkspaceTtl | null };
  readonly week: Week;
  readonly now: number;
  readonly schedule: Schedule | undefined;
  readonly firings: LedgerFiring[];
  readonly runs: Run[];
}

const dayLabel = (date: string) =>
  new Date(`${date}T12:00:00Z`).toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });

function runEnd(run: Run, now: number): string {
  return run.finished_at ?? new Date(now).toISOString();
}

export function WeekTimeline({ workspace, week, now, schedule, firings, runs }: WeekTimelineProps) {
  const zone = week.zone;
  const nowIso = new Date(now).toISOString();
  const nowAt = placeInstant(nowIso, week);
  const ttlEnd = workspace.ttl?.destroy_at;
  const ttlAt = ttlEnd ? placeInstant(ttlEnd, week) : null;
  const when = (iso: string) => `${formatInZone(iso, zone)} (${formatUtc(iso)})`;
  return (
    <figure className="timeline">
      <svg
        viewBox={`0 0 ${WIDTH} ${TOP + DAYS * ROW + 4}`}
        role="img"
        aria-label={`Week timeline of ${workspace.name} in ${zone}: desired windows, firings and runs`}
      >
        {[0, 3, 6, 9, 12, 15, 18, 21, 24].map((hour) => (
          <g key={hour}>
            <line className="tl-grid" x1={x(hour)} x2={x(hour)} y1={TOP - 4} y2={y(DAYS)} />
            <text className="tl-hour" x={x(hour)} y={TOP - 8} textAnchor="middle">
              {String(hour).padStart(2, '0')}
            </text>
          </g>
        ))}
        {Array.from({ length: DAYS }, (_, day) => (
          <g key={day}>
            <rect
              className={day % 2 ? 'tl-day alt' : 'tl-day'}
              x={LABEL}
              y={y(day)}
              width={24 * HOUR}
              height={ROW - 2}
            />
            <text className="tl-label" x={LABEL - 6} y={y(day) + ROW / 2 + 4} textAnchor="end">
              {dayLabel(addDays(week.firstDate, day))}
            </text>
          </g>
        ))}
        {schedule?.timeline
          .filter((segment) => segment.state === 'up')
          .flatMap((segment, index) =>
            placeSpan(segment.start, segment.end, week).map((piece) => (
              <rect
                key={`w${index}-${piece.day}`}
                className="tl-window"
                x={x(piece.from)}
                y={y(piece.day) + 3}
                width={(piece.to - piece.from) * HOUR}
                height={ROW / 2 - 4}
              >
                <title>{`Desired up${segment.mode ? ` (${segment.mode})` : ''}: ${segment.local_start} → ${segment.local_end}. ${segment.reason}`}</title>
              </rect>
            )),
          )}
        {(schedule?.overrides ?? []).flatMap((override) =>
          placeSpan(override.start, override.end, week).map((piece) => (
            <rect
              key={`o${override.id}-${piece.day}`}
              className={`tl-override kind-${override.kind}`}
              data-override={override.id}
              x={x(piece.from)}
              y={y(piece.day) + 1}
              width={(piece.to - piece.from) * HOUR}
              height={ROW / 2}
            >
              <title>{`Override: ${describeOverride(override)} until ${override.local_end}${override.reason ? ` — ${override.reason}` : ''}`}</title>
            </rect>
          )),
        )}
        {runs.flatMap((run) =>
          placeSpan(run.started_at ?? run.created_at, runEnd(run, now), week).map((piece) => (
            <rect
              key={`r${run.id}-${piece.day}`}
              className={`tl-run tone-${runToneOf(run.state)}`}
              x={x(piece.from)}
              y={y(piece.day) + ROW / 2 + 1}
              width={Math.max(3, (piece.to - piece.from) * HOUR)}
              height={ROW / 2 - 5}
            >
              <title>{`${run.action} ${run.state}${run.reason ? `: ${run.reason}` : ''} — started ${when(run.started_at ?? run.created_at)}`}</title>
            </rect>
          )),
        )}
        {firings.map((firing) => {
          const at = placeInstant(firing.scheduled_at, week);
          if (!at) return null;
          const cx = x(at.hours);
          const cy = y(at.day) + ROW / 4 + 1;
          const title = `${firing.action} ${firing.outcome} at ${when(firing.scheduled_at)}${firing.reason ? `: ${firing.reason}` : ''}`;
          return (
            <g key={firing.id} className={`tl-firing outcome-${firing.outcome}`}>
              <title>{title}</title>
              {firing.outcome === 'fired' && <circle cx={cx} cy={cy} r={4} />}
              {firing.outcome === 'skipped' && (
                <path d={`M${cx} ${cy - 5} L${cx + 5} ${cy + 4} L${cx - 5} ${cy + 4} Z`} />
              )}
              {(firing.outcome === 'missed' || firing.outcome === 'superseded') && (
                <path
                  d={`M${cx - 4} ${cy - 4} L${cx + 4} ${cy + 4} M${cx + 4} ${cy - 4} L${cx - 4} ${cy + 4}`}
                />
              )}
            </g>
          );
        })}
        {schedule?.firings.map((firing, index) => {
          const at = placeInstant(firing.scheduled_at, week);
          if (!at || Date.parse(firing.scheduled_at) < now) return null;
          const cx = x(at.hours);
          const cy = y(at.day) + ROW / 4 + 1;
          return (
            <path
              key={`p${index}`}
              className={firing.skipped ? 'tl-planned skipped' : 'tl-planned'}
              d={`M${cx} ${cy - 5} L${cx + 5} ${cy} L${cx} ${cy + 5} L${cx - 5} ${cy} Z`}
            >
              <title>{`${firing.skipped ? 'Skipped (calendar day)' : 'Planned'} ${firing.action}${firing.mode ? ` (${firing.mode})` : ''} at ${firing.local_time}`}</title>
            </path>
          );
        })}
        {ttlEnd && ttlAt && (
          <line
            className="tl-ttl"
            data-ttl-end={ttlEnd}
            x1={x(ttlAt.hours)}
            x2={x(ttlAt.hours)}
            y1={y(ttlAt.day) - 2}
            y2={y(ttlAt.day) + ROW}
          >
            <title>{`TTL end: destroyed at ${when(ttlEnd)}${workspace.ttl?.extended_until ? ' (extended)' : ''}`}</title>
          </line>
        )}
        {nowAt && (
          <line
            className="tl-now"
            x1={x(nowAt.hours)}
            x2={x(nowAt.hours)}
            y1={y(nowAt.day) - 2}
            y2={y(nowAt.day) + ROW}
          >
            <title>{`Now: ${when(nowIso)}`}</title>
          </line>
        )}
      </svg>
      <TimelineLegend
        as="figcaption"
        entries={[
          'desired up',
          'run succeeded',
          'run failed',
          'running',
          'override',
          '● fired ▲ skipped ✕ missed ◇ planned',
          'now',
          !!ttlEnd && 'TTL end',
        ]}
      >
        <span className="muted">Times in {zone}</span>
      </TimelineLegend>
    </figure>
  );
}
