/**
 * Templates from git (SPEC §2, §6; docs/templates.md): a git URL + ref + subdirectory, pinned to the
 * commit the ref names when the template is added, and again only when someone refreshes it. The
 * registry is a table every replica shares; the files are fetched per replica into the template cache.
 * A workspace whose `template` names a registered template is built on its pinned commit, and the
 * template's content hash is part of the workspace's, so a refresh that changes the files redeploys it
 * like any change of its own files.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LocalTemplate } from '../config/config-model.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import { isValidName, nameRule } from '../config/names.ts';
import { isDirectory } from '../config/unit-files.ts';
import { TideError } from '../errors/tide-error.ts';
import type { Logger } from '../log/logger.ts';
import type { Keyring } from '../secrets/encryption-key.ts';
import { openSecret, sealSecret } from '../secrets/secret-cipher.ts';
import { deleteSecretRow, listSecretRows, upsertSecretRow } from '../secrets/secrets.repo.ts';
import { inTransaction, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import { checkGitUrl, isCommit, resolveRef, scrubUrls, type GitOptions, type GitRemote } from './git.ts';
import { TemplateCache } from './template-cache.ts';
import {
  countCredentialUsers,
  deleteTemplateRow,
  findTemplateRow,
  insertTemplateRow,
  listTemplateRows,
  updateTemplatePin,
  type TemplateRow,
} from './template.repo.ts';

/** The secret store's scope for template credentials (not a workspace name: those start [a-z0-9]). */
export const TEMPLATE_SECRET_SCOPE = '_templates';

/** What the API and CLI show of a template. The credential appears by name only. */
export interface TemplateView {
  readonly name: string;
  readonly url: string;
  readonly ref: string;
  /** '' = the repository's root. */
  readonly subdir: string;
  readonly commit: string;
  readonly content_hash: string;
  readonly description: string;
  readonly credential_secret: string | null;
  readonly created_at: string;
  readonly created_by: string;
  readonly refreshed_at: string;
  readonly refreshed_by: string;
  /** Workspaces (`web`) and jobs (`job:backup`, `job:web/seed`) whose configuration names it. */
  readonly used_by: readonly string[];
}

export interface AddTemplateInput {
  readonly name: string;
  readonly url: string;
  /** Branch, tag, full ref or commit; default `main`. */
  readonly ref?: string | undefined;
  /** Path in the repository; default the root. */
  readonly subdir?: string | undefined;
  readonly description?: string | undefined;
  /** `token` or `user:password`: stored sealed under `credential_secret` (default: the template's name). */
  readonly credential?: string | undefined;
  /** A credential stored before (by another template), or where to store `credential`. */
  readonly credential_secret?: string | undefined;
}

export interface RefreshResult {
  readonly template: TemplateView;
  readonly previous_commit: string;
  /** Whether the pinned commit moved. */
  readonly changed: boolean;
}

export interface TemplateServiceDeps {
  readonly db: Db;
  /** Seals and opens credentials (the secret store's keys). */
  readonly keyring: Keyring;
  readonly clock: Clock;
  /** Holds `templates/`, this replica's copies. */
  readonly dataDir: string;
  /** The configuration in force: who uses a template, and which names local templates take. Absent = none. */
  readonly config?: () => EffectiveConfig;
  /** Called after this replica changed the registry (the daemon re-assembles the configuration). */
  readonly onChange?: () => void;
  readonly git?: GitOptions;
  readonly logger?: Logger;
}

export class TemplateService {
  readonly #deps: TemplateServiceDeps;
  readonly cache: TemplateCache;
  /** The registry as this replica last read it: what configuration assembly sees (sync). */
  #known = new Map<string, TemplateRow>();

  constructor(deps: TemplateServiceDeps) {
    this.#deps = deps;
    this.cache = new TemplateCache(path.join(deps.dataDir, 'templates'), deps.git);
  }

  /** Registered names → content hash at the pinned commit, as last loaded (`load`). */
  registered(): ReadonlyMap<string, string> {
    return new Map([...this.#known].map(([name, row]) => [name, row.content_hash]));
  }

  /** Reads the registry; true if it differs from what this replica knew (names, commits or hashes). */
  async load(): Promise<boolean> {
    const rows = await listTemplateRows(this.#deps.db);
    const fingerprint = (map: Map<string, TemplateRow>) =>
      [...map.values()].map((r) => `${r.name}@${r.commit_sha}:${r.content_hash}`).join(',');
    const next = new Map(rows.map((row) => [row.name, row]));
    const changed = fingerprint(next) !== fingerprint(this.#known);
    this.#known = next;
    return changed;
  }

  async list(): Promise<TemplateView[]> {
    return (await listTemplateRows(this.#deps.db)).map((row) => this.#view(row));
  }

  async get(name: string): Promise<TemplateView> {
    return this.#view(await this.#row(name));
  }

  /** Resolves the ref, fetches the commit, and registers the template pinned to it. */
  async add(input: AddTemplateInput, actor: string): Promise<TemplateView> {
    const { db, keyring, clock } = this.#deps;
    const name = input.name;
    if (!isValidName(name))
      throw new TideError('invalid_argument', `template name "${name}": ${nameRule}`, {
        details: { field: 'name' },
      });
    checkGitUrl(input.url);
    const ref = checkRef(input.ref ?? 'main');
    const subdir = normalizeSubdir(input.subdir ?? '');
    if (this.#deps.config?.().snapshot.templates.has(name))
      throw new TideError(
        'conflict',
        `template "${name}" is a local template (templates/${name}/ in the configuration); choose another name`,
      );
    if (await findTemplateRow(db, name))
      throw new TideError('conflict', `template "${name}" already exists (refresh it, or remove it first)`);
    const secretName = input.credential_secret ?? (input.credential !== undefined ? name : null);
    if (secretName !== null && !isValidName(secretName))
      throw new TideError('invalid_argument', `credential_secret "${secretName}": ${nameRule}`, {
        details: { field: 'credential_secret' },
      });
    if (input.credential !== undefined && input.credential === '')
      throw new TideError('invalid_argument', 'credential is empty', { details: { field: 'credential' } });
    const credential =
      input.credential ?? (secretName !== null ? await this.#credential(secretName) : undefined);
    const remote: GitRemote = { url: input.url, credential };
    const commit = await resolveRef(remote, ref, await this.#home(), this.#deps.git);
    const fetched = await this.cache.fetch(name, remote, commit, subdir);
    const now = toInstant(clock.now());
    const row: TemplateRow = {
      name,
      url: input.url,
      ref,
      subdir,
      commit_sha: commit,
      content_hash: fetched.contentHash,
      description: input.description ?? '',
      credential_secret: secretName,
      created_at: now,
      created_by: actor,
      refreshed_at: now,
      refreshed_by: actor,
    };
    let inserted: boolean;
    try {
      inserted = await inTransaction(db, async (trx) => {
        if (!(await insertTemplateRow(trx, row))) return false;
        if (input.credential !== undefined && secretName !== null) {
          const address = { workspace: TEMPLATE_SECRET_SCOPE, name: secretName };
          const sealed = sealSecret(keyring, address, input.credential);
          await upsertSecretRow(trx, { ...address, ...sealed, updated_at: now });
        }
        return true;
      });
    } catch (error) {
      await fetched.discard();
      throw error;
    }
    if (!inserted) {
      await fetched.discard();
      throw new TideError('conflict', `template "${name}" already exists (refresh it, or remove it first)`);
    }
    await fetched.keep();
    await this.#changed();
    this.#deps.logger?.info(
      { template: name, url: scrubUrls(input.url), ref, subdir, commit, actor },
      'template added',
    );
    return this.#view(row);
  }

  /**
   * Registers one template of the Provisioner's registry (`tide import provisioner`): `add` with its
   * source URL, path and ref, no credential. A name already registered at the same URL, ref and
   * subdirectory is left as it is (an import run twice changes nothing); at another source it is a conflict.
   */
  async importTemplate(
    input: { name: string; url: string; ref?: string; subdir?: string; description?: string },
    actor: string,
  ): Promise<{ template: TemplateView; imported: boolean }> {
    // The Provisioner's `--path` was free text: a leading "/" is read from the repository's root.
    const subdir = (input.subdir ?? '').replace(/^\/+/, '');
    const existing = await findTemplateRow(this.#deps.db, input.name);
    if (existing) {
      const same =
        existing.url === input.url &&
        existing.ref === checkRef(input.ref ?? 'main') &&
        existing.subdir === normalizeSubdir(subdir);
      if (same) return { template: this.#view(existing), imported: false };
      throw new TideError(
        'conflict',
        `template "${input.name}" is already registered from ${scrubUrls(existing.url)} (${existing.ref})`,
      );
    }
    return { template: await this.add({ ...input, subdir }, actor), imported: true };
  }

  /**
   * What `importTemplate` would do, writing nothing (the dry run of `tide import provisioner`): `unchanged`
   * for an identical entry already registered, else `import` with the commit the ref names now. Throws as
   * `importTemplate` would: a bad name, URL, ref or subdirectory, a name registered from another source,
   * an unreachable repository or unknown ref (`git_failed`).
   */
  async planImport(input: {
    name: string;
    url: string;
    ref?: string;
    subdir?: string;
  }): Promise<{ action: 'import' | 'unchanged'; commit: string }> {
    const subdir = normalizeSubdir((input.subdir ?? '').replace(/^\/+/, ''));
    const ref = checkRef(input.ref ?? 'main');
    const existing = await findTemplateRow(this.#deps.db, input.name);
    if (existing) {
      if (existing.url === input.url && existing.ref === ref && existing.subdir === subdir)
        return { action: 'unchanged', commit: existing.commit_sha };
      throw new TideError(
        'conflict',
        `template "${input.name}" is already registered from ${scrubUrls(existing.url)} (${existing.ref})`,
      );
    }
    if (!isValidName(input.name))
      throw new TideError('invalid_argument', `template name "${input.name}": ${nameRule}`, {
        details: { field: 'name' },
      });
    checkGitUrl(input.url);
    const commit = await resolveRef({ url: input.url }, ref, await this.#home(), this.#deps.git);
    return { action: 'import', commit };
  }

  /** Resolves the ref again and pins the commit it names now. */
  async refresh(name: string, actor: string): Promise<RefreshResult> {
    const { db, clock } = this.#deps;
    const row = await this.#row(name);
    const remote = await this.#remote(row);
    const commit = await resolveRef(remote, row.ref, await this.#home(), this.#deps.git);
    const fetched =
      commit === row.commit_sha ? null : await this.cache.fetch(name, remote, commit, row.subdir);
    const pin = {
      commit_sha: commit,
      content_hash: fetched?.contentHash ?? row.content_hash,
      refreshed_at: toInstant(clock.now()),
      refreshed_by: actor,
    };
    if (!(await updateTemplatePin(db, name, row.commit_sha, pin))) {
      await fetched?.discard();
      throw new TideError('conflict', `template "${name}" was changed or removed meanwhile; try again`);
    }
    await fetched?.keep();
    await this.#changed();
    this.#deps.logger?.info(
      { template: name, previous_commit: row.commit_sha, commit, actor },
      'template refreshed',
    );
    return {
      template: this.#view({ ...row, ...pin }),
      previous_commit: row.commit_sha,
      changed: fetched !== null,
    };
  }

  /** Unregisters a template no workspace or job uses, with its credential if no other template uses it. */
  async remove(name: string, actor: string): Promise<void> {
    const row = await this.#row(name);
    const users = this.#usersOf(name);
    if (users.length > 0)
      throw new TideError(
        'conflict',
        `template "${name}" is in use by ${users.join(', ')}; change their configuration first`,
        { details: { used_by: users } },
      );
    await inTransaction(this.#deps.db, async (trx) => {
      if (!(await deleteTemplateRow(trx, name))) return;
      const secret = row.credential_secret;
      if (secret !== null && (await countCredentialUsers(trx, secret)) === 0)
        await deleteSecretRow(trx, TEMPLATE_SECRET_SCOPE, secret);
    });
    await this.cache.prune(name, null);
    await this.#changed();
    this.#deps.logger?.info({ template: name, actor }, 'template removed');
  }

  /**
   * The template at its pinned commit, fetched into this replica's cache first if needed; undefined if no
   * template of that name is registered. What a run's working directory is built from.
   */
  async resolve(name: string): Promise<LocalTemplate | undefined> {
    const row = await findTemplateRow(this.#deps.db, name);
    if (!row) return undefined;
    return this.cache.ensure(
      {
        name,
        url: row.url,
        subdir: row.subdir,
        commit: row.commit_sha,
        contentHash: row.content_hash,
      },
      () => this.#remote(row),
    );
  }

  /** Fetches every registered template's pinned commit this replica has no copy of (the registry loop). */
  async prefetch(): Promise<void> {
    for (const [name, row] of this.#known) {
      // A copy already there is checked against its hash when a run uses it, not on every pass.
      if (await isDirectory(this.cache.directoryOf(name, row.commit_sha))) continue;
      try {
        await this.resolve(name);
      } catch (error) {
        this.#deps.logger?.warn({ template: name, err: error }, 'template could not be fetched');
      }
    }
  }

  async #changed(): Promise<void> {
    await this.load();
    this.#deps.onChange?.();
  }

  async #row(name: string): Promise<TemplateRow> {
    const row = await findTemplateRow(this.#deps.db, name);
    if (!row)
      throw new TideError('not_found', `template "${name}" does not exist`, { details: { template: name } });
    return row;
  }

  async #remote(row: TemplateRow): Promise<GitRemote> {
    return {
      url: row.url,
      credential: row.credential_secret === null ? undefined : await this.#credential(row.credential_secret),
    };
  }

  async #credential(secret: string): Promise<string> {
    const rows = await listSecretRows(this.#deps.db, TEMPLATE_SECRET_SCOPE);
    const row = rows.find((r) => r.name === secret);
    if (!row)
      throw new TideError('invalid_argument', `no template credential named "${secret}" is stored`, {
        details: { field: 'credential_secret' },
      });
    return openSecret(this.#deps.keyring, row, row);
  }

  /** Where ls-remote runs (its HOME): the cache's root, created on first use. */
  async #home(): Promise<string> {
    await mkdir(this.cache.root, { recursive: true, mode: 0o700 });
    return this.cache.root;
  }

  #usersOf(name: string): string[] {
    const config = this.#deps.config?.();
    if (!config) return [];
    const users: string[] = [];
    for (const [workspace, effective] of config.workspaces) {
      const definition = effective.definition;
      if (!definition) continue;
      if (definition.template === name) users.push(workspace);
      for (const job of definition.jobs)
        if (job.template === name) users.push(`job:${workspace}/${job.name}`);
    }
    for (const [job, effective] of config.jobs)
      if (effective.definition?.template === name) users.push(`job:${job}`);
    return users.sort();
  }

  #view(row: TemplateRow): TemplateView {
    return {
      name: row.name,
      url: row.url,
      ref: row.ref,
      subdir: row.subdir,
      commit: row.commit_sha,
      content_hash: row.content_hash,
      description: row.description,
      credential_secret: row.credential_secret,
      created_at: toInstant(row.created_at),
      created_by: row.created_by,
      refreshed_at: toInstant(row.refreshed_at),
      refreshed_by: row.refreshed_by,
      used_by: this.#usersOf(row.name),
    };
  }
}

/**
 * The registry as configuration assembly takes it (name → content hash at the pinned commit), read once:
 * what `tide validate` passes as `registeredTemplates` when it can reach the database.
 */
export async function readRegisteredTemplates(db: Db): Promise<ReadonlyMap<string, string>> {
  return new Map((await listTemplateRows(db)).map((row) => [row.name, row.content_hash]));
}

function checkRef(ref: string): string {
  if (ref === '' || /[\s\0~^:?*[\\]|\.\.|^-|@\{/.test(ref))
    throw new TideError('invalid_argument', `ref "${ref}": not a branch, tag, ref or commit name`, {
      details: { field: 'ref' },
    });
  return isCommit(ref.toLowerCase()) ? ref.toLowerCase() : ref;
}

/** `./modules/web/` → `modules/web`; refuses absolute paths and `..`. */
export function normalizeSubdir(subdir: string): string {
  const parts = subdir
    .replace(/\\/g, '/')
    .split('/')
    .filter((part) => part !== '' && part !== '.');
  const bad = subdir.startsWith('/') || parts.some((part) => part === '..' || part.startsWith('-'));
  if (bad || /[\0]/.test(subdir))
    throw new TideError(
      'invalid_argument',
      `subdir "${subdir}": a path inside the repository (no leading "/", no "..")`,
      { details: { field: 'subdir' } },
    );
  return parts.join('/');
}
