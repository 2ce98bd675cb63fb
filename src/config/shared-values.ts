/**
 * Values that thousands of definitions hold alike, kept once instead of once per definition: at 10,000
 * workspaces the per-definition empty lists and records, edges, file lists and rope strings were about
 * 10 MB of heap (decision 041, "the heap per workspace").
 */

/** The empty list of every definition that has no items: frozen, so no holder can change it. */
export const NO_ITEMS: readonly never[] = Object.freeze([]);

/** The empty record of every definition that has no entries: frozen like NO_ITEMS. */
export const NO_ENTRIES: Readonly<Record<string, never>> = Object.freeze({});

/**
 * `parts` as one flat string. `a + b` and template literals build a rope: a 32-byte node that keeps both
 * parts alive (a short prefix such as `workspace:` is even copied first); a string held as long as its
 * definition should cost only its characters.
 */
export function joined(...parts: string[]): string {
  return parts.join('');
}

/**
 * Frozen values by key, so that definitions holding equal values hold one. At most `size` are remembered,
 * the oldest dropped first; one no longer remembered is only made again. A hit changes nothing (unlike an
 * LRU, which re-inserts the key it was asked with): a start or reload asks for every workspace's values,
 * and each re-inserted key would outlive a few minor collections only to become garbage.
 */
export class SharedValues<T> {
  readonly #size: number;
  readonly #values = new Map<string, T>();

  constructor(size: number) {
    this.#size = size;
  }

  /** The value remembered under `key`, or `make()`'s, remembered from now on. */
  get(key: string, make: () => T): T {
    const known = this.#values.get(key);
    if (known !== undefined) return known;
    const value = make();
    if (this.#values.size >= this.#size) this.#values.delete(this.#values.keys().next().value!);
    this.#values.set(key, value);
    return value;
  }
}

const fileLists = new SharedValues<readonly string[]>(1000);

/**
 * `files`, or the equal frozen list an earlier unit read: most workspace folders hold the same few names
 * (`config.json`, `main.tf`), and a list built by `push` keeps room for 17 entries.
 */
export function sharedFileList(files: readonly string[]): readonly string[] {
  // NUL cannot occur in a file name, so the key is unique to the list.
  return fileLists.get(files.join('\0'), () => Object.freeze([...files]));
}
