/**
 * One workspace's view kept between requests (decision 043): assembling it costs five queries and the
 * schedule's next firings, and a dashboard or script asks for the same workspace again and again. An entry
 * serves while everything it was built from is unchanged: the same configuration snapshot (a reload brings
 * a new one), the same store change stamp (no row changed: status, runs, overrides, TTL, drift), and a
 * `now` before its first time boundary (a firing, an override's end) and at most a second after it was
 * built, so a figure that depends on the time alone is never more than a second old. A store without a
 * stamp (PostgreSQL) is never cached.
 */
import type { ChangeStamp } from '../store/change-stamp.ts';
import { LruMap } from '../store/lru-map.ts';
import type { WorkspaceView } from './workspace-view.ts';

/** The longest an entry serves, whatever else holds. */
export const VIEW_MAX_AGE_MS = 1000;
/** Workspaces kept; the least recently asked for goes first. */
export const VIEW_CACHE_SIZE = 1000;

interface Entry {
  readonly config: object;
  readonly stamp: string;
  readonly builtAt: number;
  readonly validUntil: number;
  readonly view: WorkspaceView;
}

export interface BuiltView {
  readonly view: WorkspaceView;
  /** The first instant after which the view may read differently (a firing, an override's end). */
  readonly changesAt: Date | null;
}

export class WorkspaceViewCache {
  readonly #stamp: ChangeStamp;
  readonly #entries: LruMap<string, Entry>;

  constructor(stamp: ChangeStamp, size = VIEW_CACHE_SIZE) {
    this.#stamp = stamp;
    this.#entries = new LruMap(size);
  }

  /** The view of `name` under `config` at `now`: the kept one if still exact, else `build`'s. */
  async get(
    name: string,
    config: object,
    now: Date,
    build: () => Promise<BuiltView>,
  ): Promise<WorkspaceView> {
    // Read before building: a write while the view is built makes the entry stale at once.
    const stamp = this.#stamp();
    if (stamp === null) return (await build()).view;
    const time = now.getTime();
    const entry = this.#entries.get(name);
    if (
      entry &&
      entry.config === config &&
      entry.stamp === stamp &&
      entry.builtAt <= time &&
      time < entry.validUntil
    ) {
      return entry.view;
    }
    const { view, changesAt } = await build();
    const validUntil = Math.min(time + VIEW_MAX_AGE_MS, changesAt?.getTime() ?? Infinity);
    this.#entries.set(name, { config, stamp, builtAt: time, validUntil, view });
    return view;
  }
}
