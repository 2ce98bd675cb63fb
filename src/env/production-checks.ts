/**
 * TIDE_ENV=production refuses to start with a missing or weak secret (SPEC §6). The rule reads the env
 * schema: every entry flagged `secret: true` must be set (unless `optional`: the secret of a feature that
 * may be off, checked only when set), at least `minBytes` long, and of reasonable variety — which
 * catches the usual mistakes (`changeme`, one character repeated, `abcdef…`, a short phrase pasted
 * twice) without pretending to measure real entropy. Every problem is named at once.
 */
import { TideError } from '../errors/tide-error.ts';
import { envVariables, type EnvVariable, type TideEnv } from './env.schema.ts';

/** Fewer distinct bytes than this is never a generated secret (random 32 bytes have ~30). */
const MIN_DISTINCT = 8;
/** Bits per byte of the value's own byte distribution; random hex scores ~3.8, a repeated word ~2.5. */
const MIN_BITS_PER_BYTE = 3;
/** Words that mark a value copied from an example rather than generated. */
const PLACEHOLDERS = ['changeme', 'change-me', 'change_me', 'example', 'placeholder', 'password', 'secret'];

/** Why `bytes` is weak as a secret, or null. `text` is set for secrets given as text (not decoded keys). */
export function secretWeakness(bytes: Buffer, minBytes: number, text?: string): string | null {
  if (bytes.length < minBytes) return `is ${bytes.length} bytes; at least ${minBytes} are required`;
  const lower = text?.toLowerCase();
  const word = lower === undefined ? undefined : PLACEHOLDERS.find((w) => lower.includes(w));
  if (word) return `contains "${word}", so it looks like a placeholder`;
  if (new Set(bytes).size < MIN_DISTINCT)
    return `has low variety (fewer than ${MIN_DISTINCT} distinct characters)`;
  if (repeatsShortPattern(bytes)) return 'has low variety (a short pattern repeated)';
  if (isMostlySequence(bytes)) return 'has low variety (mostly a run such as abcdef or 123456)';
  if (bitsPerByte(bytes) < MIN_BITS_PER_BYTE)
    return 'has low variety (too few different characters, too often)';
  return null;
}

/** The problems that stop a production start: `TIDE_X is not set`, `TIDE_Y is 12 bytes; …`. */
export function productionProblems(
  env: Readonly<Record<string, unknown>>,
  variables: readonly EnvVariable[] = envVariables,
): string[] {
  const problems: string[] = [];
  for (const variable of variables) {
    if (!variable.secret) continue;
    const value = env[variable.name];
    if (value === undefined || value === null || value === '') {
      if (!variable.optional) problems.push(`${variable.name} is not set`);
      continue;
    }
    const text = typeof value === 'string' ? value : undefined;
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    const weakness = secretWeakness(bytes, variable.minBytes ?? 0, text);
    if (weakness) problems.push(`${variable.name} ${weakness}`);
  }
  return problems;
}

/** Called by `tide serve` before anything starts; a no-op outside production. */
export function assertProductionReady(env: TideEnv): void {
  if (env.TIDE_ENV !== 'production') return;
  const problems = productionProblems(env);
  if (problems.length === 0) return;
  throw new TideError(
    'invalid_argument',
    `refusing to start with TIDE_ENV=production: ${problems.join('; ')} (see docs/security.md)`,
    { details: { problems } },
  );
}

function repeatsShortPattern(bytes: Buffer): boolean {
  for (let period = 1; period <= bytes.length / 2; period++) {
    let repeats = true;
    for (let i = period; i < bytes.length && repeats; i++) repeats = bytes[i] === bytes[i - period];
    if (repeats) return true;
  }
  return false;
}

function isMostlySequence(bytes: Buffer): boolean {
  let steps = 0;
  for (let i = 1; i < bytes.length; i++) if (Math.abs(bytes[i]! - bytes[i - 1]!) === 1) steps++;
  return steps > (bytes.length - 1) / 2;
}

function bitsPerByte(bytes: Buffer): number {
  const counts = new Map<number, number>();
  for (const byte of bytes) counts.set(byte, (counts.get(byte) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / bytes.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}
