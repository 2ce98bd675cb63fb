import { createHash } from 'node:crypto';
import { readdir as readdirCallback, readFile as readFileCallback, type Dirent } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

// The callback forms, promisified: fs/promises opens a FileHandle and awaits each open, stat, read and
// close on its own; reading a start's 20,000 small files took 2 to 3 times as long that way. The config
// watcher lists every directory with this readdir too.
const readFile = promisify(readFileCallback);
export const readdir = promisify(readdirCallback);

/** Directories and files that are engine or VCS output, never part of a workspace's source. */
const ignoredDirectories = new Set(['.terraform', '.git']);
const ignoredFile = /\.tfstate(\..*)?$|\.tfplan$|^\.DS_Store$/;

export interface UnitFiles {
  /** Relative paths (POSIX separators), sorted. */
  readonly files: string[];
  /** Relative paths of symbolic links that were not followed. */
  readonly skippedLinks: string[];
  /** The Provisioner's content hash: sha256 over the sorted `<path>:<sha256 of file>` strings. */
  readonly contentHash: string;
}

/**
 * Lists and hashes a unit's folder. `texts` names files whose content the caller reads too (a workspace's
 * config file): they come back as text from the same read, so no file is opened twice.
 */
export async function readUnitFiles(
  directory: string,
  texts: readonly string[] = [],
): Promise<UnitFiles & { readonly texts: ReadonlyMap<string, string> }> {
  const files: string[] = [];
  const skippedLinks: string[] = [];
  await walk(directory, '', files, skippedLinks);
  files.sort();
  const read = new Map<string, string>();
  const entries = await Promise.all(
    files.map(async (file) => {
      const content = await readFile(path.join(directory, file));
      if (texts.includes(file)) read.set(file, content.toString('utf8'));
      return `${file}:${createHash('sha256').update(content).digest('hex')}`;
    }),
  );
  return { files, skippedLinks, contentHash: hashStrings(entries.sort()), texts: read };
}

export function hashStrings(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('')).digest('hex');
}

async function walk(root: string, relative: string, files: string[], skippedLinks: string[]): Promise<void> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  for (const entry of entries) {
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    // Links could point anywhere on the host; a workspace is exactly the files inside its folder.
    if (entry.isSymbolicLink()) {
      skippedLinks.push(child);
    } else if (entry.isDirectory()) {
      if (!ignoredDirectories.has(entry.name)) await walk(root, child, files, skippedLinks);
    } else if (entry.isFile() && !ignoredFile.test(entry.name)) {
      files.push(child);
    }
  }
}

export async function isDirectory(target: string): Promise<boolean> {
  try {
    return (await lstat(target)).isDirectory();
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
