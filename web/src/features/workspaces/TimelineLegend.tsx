import type { ReactNode } from 'react';

/** Each legend entry and the swatch class it is drawn with on the timelines (none for the marker key). */
const SWATCHES = {
  'desired up': 'tl-window',
  'run succeeded': 'tone-ok',
  'run failed': 'tone-bad',
  running: 'tone-busy',
  override: 'tl-override-sw',
  '● fired ▲ skipped ✕ missed ◇ planned': null,
  now: 'tl-now-sw',
  'TTL end': 'tl-ttl-sw',
} as const;

export type LegendEntry = keyof typeof SWATCHES;

/**
 * The key to the timelines' colours, the same swatch for the same thing on the week and fleet
 * timelines. Each shows the entries it draws, in the order given; `false` leaves one out (a workspace
 * without a TTL). `children` follow the entries.
 */
export function TimelineLegend({
  entries,
  as: Tag = 'p',
  children,
}: {
  entries: ReadonlyArray<LegendEntry | false>;
  /** `figcaption` when the legend captions the timeline's figure. */
  as?: 'p' | 'figcaption';
  children?: ReactNode;
}) {
  return (
    <Tag className="legend">
      {entries.map((entry) => {
        if (entry === false) return null;
        const swatch = SWATCHES[entry];
        return swatch === null ? (
          <span key={entry}>{entry}</span>
        ) : (
          <span key={entry}>
            <i className={`sw ${swatch}`} />
            {` ${entry}`}
          </span>
        );
      })}
      {children}
    </Tag>
  );
}
