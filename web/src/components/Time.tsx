import { formatInZone, formatRelative, formatUtc, useNow } from '../lib/time';

/** An instant in the workspace's zone (browser's when none), its UTC value on hover. */
export function Time({ iso, zone }: { iso: string | null; zone?: string | null }) {
  if (!iso) return <span>—</span>;
  const timeZone = zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  return (
    <time dateTime={iso} title={formatUtc(iso)}>
      {formatInZone(iso, timeZone)}
    </time>
  );
}

/** "in 3 hours", "5 minutes ago": re-rendered as time passes. */
export function Relative({ iso }: { iso: string | null }) {
  const now = useNow();
  if (!iso) return <span>—</span>;
  return (
    <time dateTime={iso} title={formatUtc(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}
