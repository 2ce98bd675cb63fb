/**
 * How the CLI shows things to people: aligned tables, field lists, and instants in the local time zone
 * with a relative hint ("Mon 08:00 (in 2h)"). `--json` output never goes through here.
 */

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;
const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Left-aligned columns two spaces apart, header first; trailing blanks trimmed. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `Label:  value` lines with the values aligned; pairs with a null value are left out. */
export function formatFields(pairs: readonly (readonly [string, string | null])[]): string {
  const shown = pairs.filter((pair): pair is readonly [string, string] => pair[1] !== null);
  const width = Math.max(...shown.map(([label]) => label.length + 1));
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`).join('\n');
}

/**
 * An instant in the local zone plus how far it is from now: `Mon 08:00 (in 2h)` within the coming or
 * past six days, `2027-03-01 08:00 (14d ago)` otherwise. `-` for no instant.
 */
export function formatWhen(iso: string | null, now: Date): string {
  if (iso === null) return '-';
  const at = new Date(iso);
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const near = Math.abs(at.getTime() - now.getTime()) < 6 * day;
  const date = near
    ? (weekdays[at.getDay()] ?? '')
    : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
  return `${date} ${time} (${formatRelative(at, now)})`;
}

/** `in 2h 5m`, `3m ago`, `just now`: at most two units, the larger first. */
export function formatRelative(at: Date, now: Date): string {
  const delta = at.getTime() - now.getTime();
  const span = Math.abs(delta);
  if (span < 10_000) return 'just now';
  const text = formatSpan(span);
  return delta > 0 ? `in ${text}` : `${text} ago`;
}

/** A length of time for people: `45s`, `12m`, `2h 5m`, `3d 4h`. */
export function formatSpan(ms: number): string {
  if (ms < minute) return `${Math.floor(ms / 1000)}s`;
  if (ms < hour) return `${Math.floor(ms / minute)}m`;
  if (ms < day) return joinUnits(Math.floor(ms / hour), 'h', Math.floor((ms % hour) / minute), 'm');
  return joinUnits(Math.floor(ms / day), 'd', Math.floor((ms % day) / hour), 'h');
}

/** How long a run took, or has been running: `-` if it never started. */
export function formatDuration(startedAt: string | null, finishedAt: string | null, now: Date): string {
  if (startedAt === null) return '-';
  const end = finishedAt === null ? now.getTime() : new Date(finishedAt).getTime();
  return formatSpan(Math.max(0, end - new Date(startedAt).getTime()));
}

function joinUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit} ${minor}${minorUnit}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
