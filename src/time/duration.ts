/**
 * Durations as written in config files: Go's syntax, which the Provisioner used ("90s", "30m", "1h30m",
 * "500ms"), plus "d" for days. Returns milliseconds, or an error message naming what is wrong.
 */
const unitMs: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

export function parseDuration(text: string): { ok: true; ms: number } | { ok: false; error: string } {
  const trimmed = text.trim();
  if (trimmed === '0') return { ok: true, ms: 0 };
  if (trimmed === '') return { ok: false, error: 'empty duration' };
  let total = 0;
  part.lastIndex = 0;
  while (part.lastIndex < trimmed.length) {
    const at = part.lastIndex;
    const match = part.exec(trimmed);
    if (!match) {
      return {
        ok: false,
        error: `invalid duration "${text}" at "${trimmed.slice(at)}" (use e.g. "90s", "30m", "1h30m", "2d")`,
      };
    }
    total += Number(match[1]) * (unitMs[match[2]!] ?? 0);
  }
  return { ok: true, ms: Math.round(total) };
}

/** A duration from a validated config field in ms, or `fallbackMs` when the field is absent. */
export function durationOr(text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.ms : fallbackMs;
}

/** The shortest exact rendering in the same syntax ("1h30m"), for docs and previews. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = unitMs[unit]!;
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text;
}
