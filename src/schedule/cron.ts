/**
 * Tide's cron dialect. The only module that imports the cron library (lint-enforced).
 *
 * Dialect: 5 fields (minute hour day-of-month month day-of-week) or 6 with a leading seconds field; names
 * (`mon`, `jan`); ranges, lists and steps (`9-17/2`); `7` and `0` are Sunday; macros `@yearly`/`@annually`,
 * `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`; when both day-of-month and day-of-week are
 * restricted a time matches if either does (Vixie cron's OR rule).
 *
 * Time zones and DST are handled here rather than by the library: the library matches in floating wall-clock
 * time (as UTC, which has no DST) and `zoned-time.ts` maps each match to an instant. A match in a
 * spring-forward gap fires at the first valid instant after the gap (several matches in one gap fire once);
 * a match in a fall-back overlap fires once, at its first occurrence.
 */
import { Cron } from 'croner';
import { fromWallClock, toWallClock } from './zoned-time.ts';

const macros: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface CronExpression {
  readonly source: string;
  readonly timeZone: string;
  /** The first firing strictly after `after`, or null if the expression can never fire again. */
  next(after: Date): Date | null;
  /** Firings in `(after, until]`, at most `limit`. */
  between(after: Date, until: Date, limit?: number): Date[];
}

export type CronParseResult = { ok: true; cron: CronExpression } | { ok: false; error: string };

// Parsing is most of a cron step's cost and the same few expressions are asked for on every tick, list
// and preview; an expression is immutable, so one parse serves every caller. Bounded so that a stream
// of distinct expressions (validation of many files) cannot grow it without end.
const parsed = new Map<string, CronParseResult>();
const maxParsed = 20_000;

export function parseCron(source: string, timeZone: string): CronParseResult {
  const key = `${timeZone}\n${source}`;
  let result = parsed.get(key);
  if (!result) {
    result = parseUncached(source, timeZone);
    if (parsed.size >= maxParsed) parsed.clear();
    parsed.set(key, result);
  }
  return result;
}

function parseUncached(source: string, timeZone: string): CronParseResult {
  const trimmed = source.trim();
  const expanded = macros[trimmed.toLowerCase()] ?? trimmed;
  if (expanded.startsWith('@')) {
    return {
      ok: false,
      error: `unknown macro "${trimmed}" (use @yearly, @monthly, @weekly, @daily, @hourly or a cron expression)`,
    };
  }
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return {
      ok: false,
      error: `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got ${fields.length}`,
    };
  }
  let matcher: Cron;
  try {
    // legacyMode keeps the standard OR rule between day-of-month and day-of-week. A fixed offset of 0
    // matches like timezone 'UTC' but skips the library's Intl conversions (about 9x faster per step).
    // Without a callback the library starts no timer: the matcher only answers nextRun.
    matcher = new Cron(expanded, { utcOffset: 0, legacyMode: true });
  } catch (error) {
    return { ok: false, error: describeLibraryError(error) };
  }
  shareYearTable(matcher);
  return { ok: true, cron: new ZonedCron(trimmed, timeZone, matcher) };
}

const everyYear: readonly number[] = Object.freeze(new Array<number>(10_000).fill(1));

/**
 * The library gives every pattern its own table of 10,000 years (80 KB), although in Tide's dialect (no
 * year field) every year always matches, and a pattern only reads it: 1,000 distinct schedules held 80 MB.
 * Patterns share one table instead. Should the library's internals change, this does nothing.
 */
function shareYearTable(matcher: Cron): void {
  const pattern = (matcher as unknown as { _states?: { pattern?: { year?: unknown } } })._states?.pattern;
  const year = pattern?.year;
  if (Array.isArray(year) && year.length === everyYear.length && year.every((matches) => matches === 1))
    pattern!.year = everyYear;
}

function describeLibraryError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^CronPattern:\s*/, '').replace(/^./, (c) => c.toLowerCase());
}

class ZonedCron implements CronExpression {
  readonly source: string;
  readonly timeZone: string;
  readonly #matcher: Cron;
  /**
   * The last question and its answer (epoch ms, or null for never). A pass of the scheduler or of the
   * reminder loop asks every workspace for its next firing after the same instant, and workspaces share
   * expressions (one parse serves them all, see `parsed`): with 10,000 workspaces on a few hundred
   * schedules, most questions are the one just answered. The one before is kept too: a workspace that
   * takes a firing asks again from it (the reminder loop's look-ahead), and with one answer kept the two
   * questions evicted each other for every workspace on that expression.
   */
  #lastAfter = Number.NaN;
  #lastNext: number | null = null;
  #priorAfter = Number.NaN;
  #priorNext: number | null = null;

  constructor(source: string, timeZone: string, matcher: Cron) {
    this.source = source;
    this.timeZone = timeZone;
    this.#matcher = matcher;
  }

  next(after: Date): Date | null {
    const afterMs = after.getTime();
    if (afterMs !== this.#lastAfter) {
      const next = afterMs === this.#priorAfter ? this.#priorNext : (this.#search(after)?.getTime() ?? null);
      this.#priorAfter = this.#lastAfter;
      this.#priorNext = this.#lastNext;
      this.#lastAfter = afterMs;
      this.#lastNext = next;
    }
    // A fresh Date each time: callers own what they are given.
    return this.#lastNext === null ? null : new Date(this.#lastNext);
  }

  #search(after: Date): Date | null {
    // Every wall time up to wall(after) maps to an instant <= after, so the search starts there; in the
    // second pass of an overlap the matches map to first occurrences (already past) and are skipped.
    let wall = toWallClock(after, this.timeZone);
    for (;;) {
      const match = this.#matcher.nextRun(wall);
      if (!match) return null;
      const instant = fromWallClock(match, this.timeZone);
      if (instant.getTime() > after.getTime()) return instant;
      wall = match;
    }
  }

  between(after: Date, until: Date, limit = 10_000): Date[] {
    const firings: Date[] = [];
    let cursor = after;
    while (firings.length < limit) {
      const next = this.next(cursor);
      if (!next || next.getTime() > until.getTime()) break;
      firings.push(next);
      cursor = next;
    }
    return firings;
  }
}
