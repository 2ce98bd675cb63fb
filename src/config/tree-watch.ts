/**
 * The config watcher's view of the file system: one `fs.watch` per directory of the tree and none per
 * file. A directory's watch already reports every file created, removed, renamed or written inside it, so
 * watching files too (what chokidar does) only doubled the watches and kept a Stats object, closures and
 * path strings per file: at 10,000 workspaces that was 80 MB of heap and 6 s before the first event could
 * be seen (docs/decisions/041-startup-and-memory.md).
 *
 * Symbolic links to directories are followed like chokidar followed them (a ConfigMap's `..data`, a
 * `workspaces` link), except a link back to one of its own ancestors, which would never end.
 */
import { readdirSync, watch, type Dirent, type FSWatcher } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { mapWithConcurrency } from './parallel-map.ts';

/** Directories listed at once while the tree is walked; the same bound as the loader's unit reads. */
const WALK_CONCURRENCY = 32;

export interface TreeWatchOptions {
  /** Paths never watched nor reported (engine and VCS output). */
  readonly ignored: (target: string) => boolean;
  /** Something at `target` changed: created, removed, renamed or written. */
  readonly onChange: (target: string) => void;
  readonly onError: (error: Error) => void;
  /** `dir` is watched from now on: a change in it is reported (the config watcher's start, below). */
  readonly watched?: (dir: string) => void;
  /** `dir`, watched, listed these entries: the config watcher's start reads its units with them. */
  readonly listed?: (dir: string, entries: readonly Dirent[]) => void;
}

/** A watch being set up: `tree` can be closed at once; the promises say how far the walk has come. */
export interface StartingTreeWatch {
  readonly tree: TreeWatch;
  /** `root` and the directories directly in it are watched: what is created in them is reported. */
  readonly topWatched: Promise<void>;
  /** Every directory is watched (as `TreeWatch.start`). */
  readonly complete: Promise<void>;
}

export class TreeWatch {
  readonly #options: TreeWatchOptions;
  /** Directory path (as reached from the root, through links) → its watch. */
  readonly #watchers = new Map<string, FSWatcher>();
  /** Watch → its directory, for the two listeners that every watch of the tree shares. */
  readonly #directories = new Map<FSWatcher, string>();
  /**
   * The watches' listeners, one of each for the whole tree: a listener per watch (a closure over its
   * directory) was 160 bytes per directory. An emitter calls a listener with `this` set to itself.
   */
  readonly #onChange: (this: FSWatcher, event: string, name: string | null) => void;
  readonly #onError: (this: FSWatcher, error: Error) => void;
  #closed = false;

  private constructor(options: TreeWatchOptions) {
    this.#options = options;
    const changed = (watcher: FSWatcher, event: string, name: string | null) => {
      const dir = this.#directories.get(watcher);
      if (dir !== undefined) this.#event(dir, event, name);
    };
    const failed = (watcher: FSWatcher, error: Error) => this.#failed(watcher, error);
    this.#onChange = function (event, name) {
      changed(this, event, name);
    };
    this.#onError = function (error) {
      failed(this, error);
    };
  }

  /** Resolves once every directory under `root` is watched: from then on no change goes unseen. */
  static async start(root: string, options: TreeWatchOptions): Promise<TreeWatch> {
    const { tree, complete } = TreeWatch.begin(root, options);
    await complete;
    return tree;
  }

  /**
   * Starts the walk and returns at once, so a caller can work while the watches are set up: the config
   * watcher lists its units once the top is watched and reads them while the rest is.
   */
  static begin(root: string, options: TreeWatchOptions): StartingTreeWatch {
    const tree = new TreeWatch(options);
    let topDone!: () => void;
    const topWatched = new Promise<void>((resolve) => (topDone = resolve));
    const complete = tree.#walk(root, (depth) => {
      if (depth === 1) topDone();
    });
    // A walk that fails or ends early (closed, no subdirectories) settles `topWatched` too.
    void complete.then(topDone, topDone);
    return { tree, topWatched, complete };
  }

  /** How many directories are watched (one inotify watch each on Linux). */
  get size(): number {
    return this.#watchers.size;
  }

  close(): void {
    this.#closed = true;
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
    this.#directories.clear();
  }

  /** Watches `top` and every directory under it, one level at a time; `levelDone(0)` after `top`. */
  async #walk(top: string, levelDone?: (depth: number) => void): Promise<void> {
    let level = [top];
    for (let depth = 0; level.length > 0 && !this.#closed; depth++) {
      const below = await mapWithConcurrency(level, WALK_CONCURRENCY, (dir) => this.#watchDirectory(dir));
      levelDone?.(depth);
      level = below.flat();
    }
  }

  /** Watches one directory; returns its subdirectories still to watch. */
  async #watchDirectory(dir: string): Promise<string[]> {
    if (this.#closed || this.#watchers.has(dir)) return [];
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: true }, this.#onChange);
    } catch (error) {
      // Removed between its listing and now: its parent's watch reports the removal.
      if (gone(error)) return [];
      throw error;
    }
    watcher.on('error', this.#onError);
    this.#watchers.set(dir, watcher);
    this.#directories.set(watcher, dir);
    this.#options.watched?.(dir);
    // Listed synchronously, like the loader's reads (decision 041): the walk's turns come from
    // mapWithConcurrency, and a watch that keeps ahead of the reads spares re-reading units at start.
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      if (!gone(error)) throw error;
      entries = [];
    }
    this.#options.listed?.(dir, entries);
    const subdirectories: string[] = [];
    for (const entry of entries) {
      const child = path.join(dir, entry.name);
      if (this.#options.ignored(child)) continue;
      if (entry.isDirectory()) subdirectories.push(child);
      else if (entry.isSymbolicLink() && (await linkedDirectory(dir, child))) subdirectories.push(child);
    }
    return subdirectories;
  }

  #event(dir: string, event: string, name: string | null): void {
    if (this.#closed) return;
    const target = name ? path.join(dir, name) : dir;
    if (this.#options.ignored(target)) return;
    this.#options.onChange(target);
    // A rename is also what a created or removed entry looks like: a new directory needs its watch.
    if (event === 'rename' && name) void this.#renamed(target);
  }

  async #renamed(target: string): Promise<void> {
    try {
      const found = await stat(target).catch((error: unknown) => {
        if (gone(error)) return null;
        throw error;
      });
      if (found === null) {
        this.#forget(target);
        return;
      }
      if (!found.isDirectory() || this.#watchers.has(target)) return;
      const parent = path.dirname(target);
      if (!(await linkedDirectory(parent, target))) return;
      await this.#walk(target);
      // Files written into the new directory before its watch existed: report it again now it is watched.
      if (!this.#closed) this.#options.onChange(target);
    } catch (error) {
      if (!this.#closed) this.#options.onError(error as Error);
    }
  }

  /** Closes the watches of `target` and of every directory under it. */
  #forget(target: string): void {
    const prefix = target + path.sep;
    for (const [dir, watcher] of this.#watchers) {
      if (dir === target || dir.startsWith(prefix)) this.#unwatch(dir, watcher);
    }
  }

  #unwatch(dir: string, watcher: FSWatcher): void {
    watcher.close();
    this.#watchers.delete(dir);
    this.#directories.delete(watcher);
  }

  #failed(watcher: FSWatcher, error: Error): void {
    const dir = this.#directories.get(watcher);
    if (dir !== undefined) this.#unwatch(dir, watcher);
    else watcher.close();
    // A directory removed under its watch is a change its parent reports, not a failure.
    if (!this.#closed && !gone(error)) this.#options.onError(error);
  }
}

const gone = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EPERM';
};

/**
 * `child` of `dir` is a directory (following a link) that is not `dir` itself or one of its ancestors: a
 * link to an ancestor would be walked forever.
 */
async function linkedDirectory(dir: string, child: string): Promise<boolean> {
  try {
    if (!(await stat(child)).isDirectory()) return false;
    const [real, realDir] = await Promise.all([realpath(child), realpath(dir)]);
    return !(realDir === real || realDir.startsWith(real + path.sep));
  } catch (error) {
    if (gone(error)) return false;
    throw error;
  }
}
