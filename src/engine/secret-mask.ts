/**
 * Masks secret values in log lines (SPEC §7: "masked in every log line"). Applied to every line before it
 * is stored or published, whatever printed it: the engine, a custom command or a job.
 */

export const MASK = '***';

/**
 * Values shorter than this (4 characters) are not masked: masking `1` or `yes` would blank out half the log
 * and reveal which short strings the secrets are.
 */
export const MIN_SECRET_LENGTH = 4;

export type Masker = (line: string) => string;

/**
 * A masker for these values. Each value is also masked in its JSON-escaped form (as the engine prints it
 * inside JSON or quoted strings), and a multi-line value line by line, since logs arrive one line at a time.
 */
export function createSecretMasker(values: Iterable<string>): Masker {
  const needles = new Set<string>();
  for (const value of values) {
    for (const form of [value, JSON.stringify(value).slice(1, -1)]) {
      for (const part of form.split(/\r?\n/)) if (part.length >= MIN_SECRET_LENGTH) needles.add(part);
    }
  }
  // Longest first, so a secret that contains another is masked whole rather than leaving its remainder.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (line) => line;
  return (line) => {
    let masked = line;
    for (const needle of ordered) if (masked.includes(needle)) masked = masked.split(needle).join(MASK);
    return masked;
  };
}
