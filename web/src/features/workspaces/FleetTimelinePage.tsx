/**
 * The week of the whole fleet, stacked: one row per workspace, seven days across, in the viewer's zone
 * (workspaces may live in different zones; one axis is what makes them comparable). Rows are virtualized
 * and each asks for its schedule only when it scrolls into view, which keeps a large fleet under the
 * schedule route's rate limit.
 */
import { Link } from '@tanstack/react-router';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { Workspace } from '../../api/types';
import { ErrorView, Loading } from '../../components/Feedback';
import { runToneOf } from '../../components/Status';
import { addDays, formatUtc } from '../../lib/time';
import { DAYS, placeInstant, placeSpan, weekOf } from './timeline-geometry';
import { TimelineLegend } from './TimelineLegend';
import { useWeek } from './use-week';
import { useWorkspaces } from './use-workspaces';

const DAY = 96;
const HEIGHT = 26;
const WIDTH = DAYS * DAY;
const ROW = 40;

const dayLabel = (date: string) =>
  new Date(`${date}T12:00:00Z`).toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    timeZone: 'UTC',
  });

const viewerZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

function FleetRow({ workspace, zone }: { workspace: Workspace; zone: string }) {
  const { now, week, schedule, runs } = useWeek(workspace.name, zone);
  const x = (day: number, hours: number) => day * DAY + (hours / 24) * DAY;
  const nowAt = placeInstant(new Date(now).toISOString(), week);
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      // Stretched to the row's width: a week is as wide as the screen allows, whatever its height.
      preserveAspectRatio="none"
      role="img"
      aria-label={`Week of ${workspace.name}`}
      className="fleet-tl"
    >
      {Array.from({ length: DAYS }, (_, day) => (
        <rect
          key={day}
          className={day % 2 ? 'tl-day alt' : 'tl-day'}
          x={day * DAY}
          y={0}
          width={DAY}
          height={HEIGHT}
        />
      ))}
      {schedule.data?.timeline
        .filter((segment) => segment.state === 'up')
        .flatMap((segment, index) =>
          placeSpan(segment.start, segment.end, week).map((piece) => (
            <rect
              key={`${index}-${piece.day}`}
              className="tl-window"
              x={x(piece.day, piece.from)}
              y={2}
              width={((piece.to - piece.from) / 24) * DAY}
              height={HEIGHT / 2 - 2}
            >
              <title>{`Desired up: ${segment.local_start} → ${segment.local_end}. ${segment.reason}`}</title>
            </rect>
          )),
        )}
      {runs.flatMap((run) =>
        placeSpan(run.started_at ?? run.created_at, run.finished_at ?? new Date(now).toISOString(), week).map(
          (piece) => (
            <rect
              key={`${run.id}-${piece.day}`}
              className={`tl-run tone-${runToneOf(run.state)}`}
              x={x(piece.day, piece.from)}
              y={HEIGHT / 2 + 1}
              width={Math.max(2, ((piece.to - piece.from) / 24) * DAY)}
              height={HEIGHT / 2 - 3}
            >
              <title>{`${run.action} ${run.state} at ${formatUtc(run.started_at ?? run.created_at)}`}</title>
            </rect>
          ),
        ),
      )}
      {nowAt && (
        <line
          className="tl-now"
          x1={x(nowAt.day, nowAt.hours)}
          x2={x(nowAt.day, nowAt.hours)}
          y1={0}
          y2={HEIGHT}
        />
      )}
      {schedule.isError && (
        <text x={4} y={HEIGHT - 6} className="tl-error">
          {schedule.error.message}
        </text>
      )}
    </svg>
  );
}

export function FleetTimelinePage() {
  const workspaces = useWorkspaces();
  const zone = viewerZone();
  const scroller = useRef<HTMLDivElement>(null);
  const items = workspaces.data ?? [];
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW,
    overscan: 4,
  });
  const firstDate = weekOf(Date.now(), zone).firstDate;
  return (
    <section aria-labelledby="tl-title">
      <div className="page-head">
        <h1 id="tl-title">Week timeline</h1>
        <p className="muted">
          Every workspace, seven days from {firstDate}, in {zone}
        </p>
      </div>
      {workspaces.isPending && <Loading what="workspaces" />}
      {workspaces.isError && <ErrorView error={workspaces.error} what="the workspaces" />}
      <div className="fleet-tl-row fleet-tl-days" aria-hidden="true">
        <span />
        <span>
          {Array.from({ length: DAYS }, (_, day) => (
            <span key={day}>{dayLabel(addDays(firstDate, day))}</span>
          ))}
        </span>
      </div>
      <div ref={scroller} className="fleet-list tall" role="list" aria-label="Workspace timelines">
        <div className="fleet-spacer" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const workspace = items[item.index]!;
            return (
              <div
                key={workspace.name}
                role="listitem"
                className="fleet-tl-row"
                style={{ transform: `translateY(${item.start}px)`, height: item.size }}
              >
                <Link to="/workspaces/$name" params={{ name: workspace.name }}>
                  {workspace.name}
                </Link>
                <FleetRow workspace={workspace} zone={zone} />
              </div>
            );
          })}
        </div>
      </div>
      <TimelineLegend entries={['desired up', 'run succeeded', 'run failed', 'now']} />
    </section>
  );
}
