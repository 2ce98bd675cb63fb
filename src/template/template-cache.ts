/**
 * This replica's copies of pinned templates: `<data>/templates/<name>/<commit>`, the files of the template's
 * subdirectory at that commit and nothing else. A copy is written under a temporary name beside it and
 * renamed into place, so a reader sees a whole copy or none; a copy whose content hash is not the pinned
 * one (a partial write from another era, a hand edit) is fetched again. Replicas do not share copies: each
 * fetches from the URL and commit the database records (docs/decisions/019-templates-from-git.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { LocalTemplate } from '../config/config-model.ts';
import { isDirectory, readUnitFiles } from '../config/unit-files.ts';
import { TideError } from '../errors/tide-error.ts';
import { checkoutCommit, type GitOptions, type GitRemote } from './git.ts';

export interface PinnedTemplate {
  readonly name: string;
  readonly url: string;
  readonly subdir: string;
  readonly commit: string;
  readonly contentHash: string;
}

export interface FetchedTree {
  readonly directory: string;
  readonly files: readonly string[];
  readonly contentHash: string;
}

export class TemplateCache {
  readonly root: string;
  readonly #git: GitOptions;
  /** One fetch per copy at a time in this process; others wait for it. */
  readonly #inFlight = new Map<string, Promise<LocalTemplate>>();

  /** `root` is `<data>/templates`. */
  constructor(root: string, git: GitOptions = {}) {
    this.root = root;
    this.#git = git;
  }

  directoryOf(name: string, commit: string): string {
    return path.join(this.root, name, commit);
  }

  /**
   * Fetches `subdir` at `commit` into a scratch folder and reads it: what `add` and `refresh` pin. The
   * caller moves it into place with `keep`, or drops it with `discard`.
   */
  async fetch(
    name: string,
    remote: GitRemote,
    commit: string,
    subdir: string,
  ): Promise<FetchedTree & { keep(): Promise<string>; discard(): Promise<void> }> {
    const folder = path.join(this.root, name);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const scratch = path.join(folder, `.fetch-${randomBytes(6).toString('hex')}`);
    await mkdir(path.join(scratch, 'tree'), { recursive: true, mode: 0o700 });
    const discard = () => rm(scratch, { recursive: true, force: true });
    try {
      await checkoutCommit(remote, commit, subdir, scratch, path.join(scratch, 'tree'), this.#git);
      const directory = path.join(scratch, 'tree', subdir);
      const { files, contentHash } = await readUnitFiles(directory);
      if (!files.some((file) => !file.includes('/') && file.endsWith('.tf')))
        throw new TideError(
          'invalid_argument',
          `no *.tf files in ${subdir === '' ? 'the repository root' : `"${subdir}"`} at commit ${commit.slice(0, 12)}`,
          { details: { field: 'subdir', commit } },
        );
      const keep = async () => {
        const target = this.directoryOf(name, commit);
        await moveIntoPlace(directory, target, contentHash, folder);
        await discard();
        return target;
      };
      return { directory, files, contentHash, keep, discard };
    } catch (error) {
      await discard();
      throw error;
    }
  }

  /**
   * The pinned copy as the run's working directory builder takes it, fetched first if this replica has no
   * good copy yet.
   */
  ensure(pinned: PinnedTemplate, remote: () => Promise<GitRemote>): Promise<LocalTemplate> {
    const key = `${pinned.name}/${pinned.commit}`;
    const running = this.#inFlight.get(key);
    if (running) return running;
    const work = this.#ensure(pinned, remote).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, work);
    return work;
  }

  async #ensure(pinned: PinnedTemplate, remote: () => Promise<GitRemote>): Promise<LocalTemplate> {
    const directory = this.directoryOf(pinned.name, pinned.commit);
    if (await isDirectory(directory)) {
      const { files, contentHash } = await readUnitFiles(directory);
      if (contentHash === pinned.contentHash)
        return Object.freeze({ name: pinned.name, directory, files, contentHash });
    }
    const fetched = await this.fetch(pinned.name, await remote(), pinned.commit, pinned.subdir);
    if (fetched.contentHash !== pinned.contentHash) {
      await fetched.discard();
      throw new TideError(
        'git_failed',
        `template "${pinned.name}" at commit ${pinned.commit.slice(0, 12)} has other content than when it was pinned (hash ${fetched.contentHash.slice(0, 12)}, pinned ${pinned.contentHash.slice(0, 12)})`,
      );
    }
    await fetched.keep();
    return Object.freeze({
      name: pinned.name,
      directory,
      files: fetched.files,
      contentHash: fetched.contentHash,
    });
  }

  /** Removes copies of `name` other than `keepCommit` (all of them when null), and stray scratch folders. */
  async prune(name: string, keepCommit: string | null): Promise<void> {
    let entries: string[];
    try {
      entries = await readdir(path.join(this.root, name));
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry !== keepCommit && !this.#busy(name, entry))
        await rm(path.join(this.root, name, entry), { recursive: true, force: true });
    }
    if (keepCommit === null) await rm(path.join(this.root, name), { recursive: true, force: true });
  }

  #busy(name: string, entry: string): boolean {
    return entry.startsWith('.fetch-') || this.#inFlight.has(`${name}/${entry}`);
  }
}

/**
 * Renames `from` to `target`. A good copy already there (another replica sharing the data directory got
 * there first) is kept as it is; a bad one is renamed aside first, so `target` is never half there.
 */
async function moveIntoPlace(
  from: string,
  target: string,
  contentHash: string,
  folder: string,
): Promise<void> {
  try {
    await rename(from, target);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
  if ((await readUnitFiles(target)).contentHash === contentHash) return;
  const stale = path.join(folder, `.fetch-stale-${randomBytes(6).toString('hex')}`);
  await rename(target, stale);
  await rename(from, target);
  await rm(stale, { recursive: true, force: true });
}
