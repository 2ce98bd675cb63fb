/**
 * nextFirings remembered per definition (decision 039): evaluating cron was most of a workspace GET, and
 * the answer only changes when a firing passes or the configuration changes.
 *
 * Exact, not a time bucket: the firings after `now` are the ones computed at an earlier `at` as long as
 * none fell in (at, now], so an entry serves every `now` in [at, first firing). A reload brings new
 * definition (or calendar) objects, which miss: nothing to invalidate by hand. An answer shorter than asked
 * (a schedule rarer than `count` firings in nextFirings' longest horizon) may grow as `now` moves, so it
 * is not kept.
 *
 * Bounded: an entry is twenty firings (≈ 4 KB), and a fleet page walked through 10,000 workspaces would
 * otherwise keep one for each; the least recently asked for goes first.
 */
import { LruMap } from '../store/lru-map.ts';
import type { Calendar, ScheduledWorkspace } from './schedule-model.ts';
import { nextFirings, type Firing } from './firings.ts';

/** Definitions kept: two pages of the workspace list. */
export const NEXT_FIRINGS_CACHE_SIZE = 1000;

interface Entry {
  readonly calendars: ReadonlyMap<string, Calendar>;
  readonly count: number;
  readonly at: number;
  readonly firings: readonly Firing[];
}

export class NextFiringsCache {
  // Keyed by the definition object: a reload's new definition misses, and the replaced one's entry ages out.
  readonly #entries: LruMap<ScheduledWorkspace, Entry>;

  constructor(size = NEXT_FIRINGS_CACHE_SIZE) {
    this.#entries = new LruMap(size);
  }

  next(
    definition: ScheduledWorkspace,
    calendars: ReadonlyMap<string, Calendar>,
    now: Date,
    count: number,
  ): readonly Firing[] {
    const time = now.getTime();
    const entry = this.#entries.get(definition);
    if (
      entry &&
      entry.calendars === calendars &&
      entry.count === count &&
      entry.at <= time &&
      time < entry.firings[0]!.scheduled_at.getTime()
    ) {
      return entry.firings;
    }
    const firings = nextFirings(definition, calendars, now, count);
    if (firings.length === count && count > 0) {
      this.#entries.set(definition, { calendars, count, at: time, firings });
    } else {
      this.#entries.delete(definition);
    }
    return firings;
  }
}
