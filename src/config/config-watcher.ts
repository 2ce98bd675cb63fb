/**
 * Hot reload: file-system events (one watch per directory, tree-watch.ts) tell which units changed; only those are re-read, then the
 * snapshot is re-assembled and merged. Content hashes decide whether anything really changed, so a touch
 * or an editor's rewrite of identical bytes emits nothing. Typical latency: the debounce (50 ms) plus the
 * read of the changed units.
 *
 * A path that is no unit's (the directory itself, a ConfigMap's `..data` link, a top-level file) makes the
 * next reload a full one, and so does a swap of the directory's own symlink (a git-sync checkout): such
 * swaps replace many units at once, and the watch must follow the link to its new target.
 */
import { EventEmitter } from 'node:events';
import { watch, type Dirent, type FSWatcher } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { assembleSnapshotInSlices } from './assemble-snapshot.ts';
import { loadConfigDirectory, UNIT_READ_CONCURRENCY, type ConfigLoadOptions } from './config-loader.ts';
import type { ConfigProblem } from './config-model.ts';
import { loadUnit, unitKey, unitOfPath, type AnyUnit } from './config-units.ts';
import {
  applySnapshot,
  applySnapshotInSlices,
  type ConfigChange,
  type EffectiveConfig,
} from './effective-config.ts';
import { mapWithConcurrency } from './parallel-map.ts';
import { TreeWatch } from './tree-watch.ts';
import type { SliceOptions } from '../time/slices.ts';

export interface ReloadEvent {
  readonly changes: readonly ConfigChange[];
  readonly problems: readonly ConfigProblem[];
  readonly config: EffectiveConfig;
}

interface WatcherEvents {
  reload: [ReloadEvent];
  error: [Error];
}

export interface ConfigWatcherOptions extends ConfigLoadOptions {
  /** Quiet period after the last file event before reloading (default 50 ms). */
  readonly debounceMs?: number;
  /** How a reload gives the event loop its turns (default: src/time/slices.ts); tests watch the pauses. */
  readonly slices?: SliceOptions;
}

export class ConfigWatcher extends EventEmitter<WatcherEvents> {
  readonly directory: string;
  readonly #options: ConfigWatcherOptions;
  #units = new Map<string, AnyUnit>();
  #config: EffectiveConfig | null = null;
  #watcher: TreeWatch | null = null;
  #generation = 0;
  /** Watches the directory's own name when it is a symlink, to see it swapped. */
  #linkWatcher: FSWatcher | null = null;
  #pending = new Set<string>();
  #full = false;
  #closed = false;
  #timer: NodeJS.Timeout | null = null;
  #reloading: Promise<void> = Promise.resolve();

  constructor(directory: string, options: ConfigWatcherOptions) {
    super();
    this.directory = path.resolve(directory);
    this.#options = options;
  }

  /**
   * Loads everything and starts watching; resolves once events will be seen. The units are read while
   * the watches are set up (at 10,000 workspaces each takes about a second): they are listed once the
   * directory and its folders are watched, so a unit created from then on is reported; a unit whose
   * folder is watched only after its read began is read again once started, since an edit between the
   * two went unreported. Changes reported during the start are reloaded once it is done.
   */
  async start(): Promise<EffectiveConfig> {
    let started!: () => void;
    this.#reloading = new Promise((resolve) => (started = resolve));
    const read = new Set<string>();
    // What the watch listed, for the loader: each directory listed once. An entry is used at most once.
    const listings = new Map<string, readonly Dirent[]>();
    const listing = (dir: string) => {
      const entries = listings.get(dir);
      listings.delete(dir);
      return entries;
    };
    try {
      const watching = this.#watch(
        (dir) => {
          const unit = unitOfPath(path.relative(this.directory, dir));
          if (unit && read.has(unitKey(unit.kind, unit.id))) this.#schedule(dir);
        },
        (dir, entries) => listings.set(dir, entries),
      );
      await watching.topWatched;
      const [{ snapshot, units }] = await Promise.all([
        loadConfigDirectory(this.directory, { ...this.#options, listing }, ({ kind, id }) =>
          read.add(unitKey(kind, id)),
        ),
        watching.complete,
      ]);
      this.#units = new Map(units.map((unit) => [unitKey(unit.kind, unit.id), unit]));
      this.#config = applySnapshot(null, snapshot).next;
    } catch (error) {
      started();
      await this.close();
      throw error;
    }
    read.clear();
    listings.clear();
    started();
    if ((await lstat(this.directory)).isSymbolicLink()) {
      const name = path.basename(this.directory);
      // The parent's own watch, not following the link: a followed link's replacement goes unreported.
      this.#linkWatcher = watch(path.dirname(this.directory), (_event, changed) => {
        if (changed === name) this.#schedule(this.directory);
      });
      this.#linkWatcher.on('error', (error) => this.emit('error', error));
    }
    return this.#config;
  }

  /**
   * (Re)starts the watch of the directory, following its symlinks to where they point now. `complete`
   * resolves once every directory is watched.
   */
  #watch(
    watched?: (dir: string) => void,
    listed?: (dir: string, entries: readonly Dirent[]) => void,
  ): { topWatched: Promise<void>; complete: Promise<void> } {
    this.#watcher?.close();
    // Events seen while the new watch walks the tree count too; those of an older watch do not.
    const generation = ++this.#generation;
    const { tree, topWatched, complete } = TreeWatch.begin(this.directory, {
      ignored: (target) => /[\\/](\.terraform|\.git)([\\/]|$)/.test(target),
      onChange: (target) => {
        if (this.#generation === generation) this.#schedule(target);
      },
      onError: (error) => this.emit('error', error),
      ...(watched ? { watched } : {}),
      ...(listed ? { listed } : {}),
    });
    // Held at once, so a close() during the walk closes it too.
    this.#watcher = tree;
    if (this.#closed) tree.close();
    return { topWatched, complete };
  }

  current(): EffectiveConfig {
    if (!this.#config) throw new Error('ConfigWatcher.start() has not completed');
    return this.#config;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#reloading;
    this.#watcher?.close();
    this.#linkWatcher?.close();
  }

  /**
   * Re-assembles the snapshot from the units already loaded, for a change outside the directory that
   * assembly reads (the git template registry, `registeredTemplates`). Emits `reload` if anything changed.
   */
  reassemble(): Promise<void> {
    this.#reloading = this.#reloading
      .then(() => this.#reload([]))
      .catch((error: Error) => {
        this.emit('error', error);
      });
    return this.#reloading;
  }

  #schedule(target: string): void {
    if (this.#closed) return;
    const unit = unitOfPath(path.relative(this.directory, target));
    if (unit) this.#pending.add(unitKey(unit.kind, unit.id));
    else this.#full = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const keys = [...this.#pending];
      const full = this.#full;
      this.#pending.clear();
      this.#full = false;
      // Reloads run one after another so a slow one never overwrites a newer one.
      this.#reloading = this.#reloading
        .then(() => (full ? this.#reloadAll() : this.#reload(keys)))
        .catch((error: Error) => {
          this.emit('error', error);
        });
    }, this.#options.debounceMs ?? 50);
  }

  /** Re-reads every unit, after the watch is re-established, so nothing changed in between is missed. */
  async #reloadAll(): Promise<void> {
    if (this.#closed) return;
    await this.#watch().complete;
    const { units } = await loadConfigDirectory(this.directory, this.#options);
    this.#units = new Map(units.map((unit) => [unitKey(unit.kind, unit.id), unit]));
    await this.#publish();
  }

  async #reload(keys: string[]): Promise<void> {
    const loaded = await mapWithConcurrency(keys, UNIT_READ_CONCURRENCY, (key) => {
      const [kind, ...rest] = key.split(':');
      return loadUnit(this.directory, kind as AnyUnit['kind'], rest.join(':'), this.#options);
    });
    keys.forEach((key, index) => {
      const unit = loaded[index];
      if (unit) this.#units.set(key, unit);
      else this.#units.delete(key);
    });
    await this.#publish();
  }

  /**
   * Assembles and merges in slices, so requests are answered meanwhile (decision 042); they read the
   * previous configuration until the new one replaces it in one assignment.
   */
  async #publish(): Promise<void> {
    const { slices } = this.#options;
    const snapshot = await assembleSnapshotInSlices(
      this.directory,
      this.#units.values(),
      this.#options,
      slices,
    );
    const { next, changes } = await applySnapshotInSlices(this.#config, snapshot, slices);
    this.#config = next;
    if (changes.length > 0) this.emit('reload', { changes, problems: snapshot.problems, config: next });
  }
}
