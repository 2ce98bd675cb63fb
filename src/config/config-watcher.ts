/**
 * Hot reload: file-system events (chokidar) tell which units changed; only those are re-read, then the
 * snapshot is re-assembled and merged. Content hashes decide whether anything really changed, so a touch
 * or an editor's rewrite of identical bytes emits nothing. Typical latency: the debounce (50 ms) plus the
 * read of the changed units.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { assembleSnapshot } from './assemble-snapshot.ts';
import { loadConfigDirectory, type ConfigLoadOptions } from './config-loader.ts';
import type { ConfigProblem } from './config-model.ts';
import { loadUnit, unitKey, unitOfPath, type AnyUnit } from './config-units.ts';
import { applySnapshot, type ConfigChange, type EffectiveConfig } from './effective-config.ts';

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
}

export class ConfigWatcher extends EventEmitter<WatcherEvents> {
  readonly directory: string;
  readonly #options: ConfigWatcherOptions;
  #units = new Map<string, AnyUnit>();
  #config: EffectiveConfig | null = null;
  #watcher: FSWatcher | null = null;
  #pending = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #reloading: Promise<void> = Promise.resolve();

  constructor(directory: string, options: ConfigWatcherOptions) {
    super();
    this.directory = path.resolve(directory);
    this.#options = options;
  }

  /** Loads everything and starts watching; resolves once events will be seen. */
  async start(): Promise<EffectiveConfig> {
    const { units } = await loadConfigDirectory(this.directory, this.#options);
    this.#units = new Map(units.map((unit) => [unitKey(unit.kind, unit.id), unit]));
    this.#config = applySnapshot(null, assembleSnapshot(this.directory, units, this.#options)).next;
    this.#watcher = watch(this.directory, {
      ignoreInitial: true,
      ignored: (target) => /[\\/](\.terraform|\.git)([\\/]|$)/.test(target),
    });
    this.#watcher.on('all', (_event, target) => this.#schedule(target));
    this.#watcher.on('error', (error) => this.emit('error', error as Error));
    await new Promise<void>((resolve) => this.#watcher!.once('ready', () => resolve()));
    return this.#config;
  }

  current(): EffectiveConfig {
    if (!this.#config) throw new Error('ConfigWatcher.start() has not completed');
    return this.#config;
  }

  async close(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    await this.#watcher?.close();
    await this.#reloading;
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
    const unit = unitOfPath(path.relative(this.directory, target));
    if (!unit) return;
    this.#pending.add(unitKey(unit.kind, unit.id));
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const keys = [...this.#pending];
      this.#pending.clear();
      // Reloads run one after another so a slow one never overwrites a newer one.
      this.#reloading = this.#reloading
        .then(() => this.#reload(keys))
        .catch((error: Error) => {
          this.emit('error', error);
        });
    }, this.#options.debounceMs ?? 50);
  }

  async #reload(keys: string[]): Promise<void> {
    for (const key of keys) {
      const [kind, ...rest] = key.split(':');
      const unit = await loadUnit(this.directory, kind as AnyUnit['kind'], rest.join(':'), this.#options);
      if (unit) this.#units.set(key, unit);
      else this.#units.delete(key);
    }
    const snapshot = assembleSnapshot(this.directory, this.#units.values(), this.#options);
    const { next, changes } = applySnapshot(this.#config, snapshot);
    this.#config = next;
    if (changes.length > 0) this.emit('reload', { changes, problems: snapshot.problems, config: next });
  }
}
