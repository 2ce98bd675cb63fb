import { createHash } from 'node:crypto';
import { lstatSync, readdir as readdirCallback, readdirSync, readFileSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { sharedFileList } from './shared-values.ts';

// The callback form: fs/promises awaits each step on its own, 2 to 3 times the cost for small reads.
const readdir = promisify(readdirCallback);

/** Directories and files that are engine or VCS output, never part of a workspace's source. */
const ignoredDirectories = new Set(['.terraform', '.git']);
const ignoredFile = /\.tfstate(\..*)?$|\.tfplan$|^\.DS_Store$/;

export interface UnitFiles {
  /** Relative paths (POSIX separators), sorted; shared by the units with the same list (frozen). */
  readonly files: readonly string[];
  /** Relative paths of symbolic links that were not followed. */
  readonly skippedLinks: string[];
  /** The Provisioner's content hash: sha256 over the sorted `<path>:<sha256 of file>` strings. */
  readonly contentHash: string;
}

/**
 * Lists and hashes a unit's folder. `texts` names files whose content the caller reads too (a workspace's
 * config file): they come back as text from the same read, so no file is opened twice.
 *
 * Synchronous inside (decision 041): a unit is a few small local files, and a read through the thread
 * pool costs a round trip per file, which at 10,000 units was most of the start. The callers pass units
 * through mapWithConcurrency, which gives the event loop a turn every few milliseconds.
 */
export async function readUnitFiles(
  directory: string,
  texts: readonly string[] = [],
  listing?: Listing,
): Promise<UnitFiles & { readonly texts: ReadonlyMap<string, string> }> {
  const files: string[] = [];
  const skippedLinks: string[] = [];
  walk(directory, '', files, skippedLinks, listing);
  files.sort();
  const read = new Map<string, string>();
  const entries = files.map((file) => {
    const content = readFileSync(path.join(directory, file));
    if (texts.includes(file)) read.set(file, content.toString('utf8'));
    return `${file}:${createHash('sha256').update(content).digest('hex')}`;
  });
  return {
    files: sharedFileList(files),
    skippedLinks,
    contentHash: hashStrings(entries.sort()),
    texts: read,
  };
}

export function hashStrings(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('')).digest('hex');
}

/** A directory's entries listed elsewhere a moment ago, or undefined: see LoadOptions.listing. */
export type Listing = (dir: string) => readonly Dirent[] | undefined;

function walk(
  root: string,
  relative: string,
  files: string[],
  skippedLinks: string[],
  listing: Listing | undefined,
): void {
  const dir = path.join(root, relative);
  const entries = listing?.(dir) ?? readdirSync(dir, { withFileTypes: true });
  for (const entry of entries) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    // Links could point anywhere on the host; a workspace is exactly the files inside its folder.
    if (entry.isSymbolicLink()) {
      skippedLinks.push(child);
    } else if (entry.isDirectory()) {
      if (!ignoredDirectories.has(entry.name)) walk(root, child, files, skippedLinks, listing);
    } else if (entry.isFile() && !ignoredFile.test(entry.name)) {
      files.push(child);
    }
  }
}

/** Synchronous like readUnitFiles, for the same reason; async for the callers' sake. */
export async function isDirectory(target: string): Promise<boolean> {
  try {
    return lstatSync(target).isDirectory();
  } catch {
    return false;
  }
}

/** Entries of a directory, or none if it does not exist. */
export async function listDirectory(target: string): Promise<Dirent[]> {
  try {
    return await readdir(target, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
