/**
 * Adopting a running Provisioner installation (docs/migration-from-provisioner.md#adopt-a-running-installation):
 * each workspace's local-backend state becomes the first version of its state in Tide's backend, and its
 * observed status and last deploy/destroy times become its Tide status, so Tide carries on from where the
 * Provisioner was and re-creates nothing. Dry-run by default: `apply` false only reads. Each workspace is
 * one transaction (its states and its status together), and the import is idempotent: what Tide already
 * holds is never replaced, and a re-run says it is already imported.
 */
import { isValidName } from '../config/names.ts';
import type { Keyring } from '../secrets/encryption-key.ts';
import { checksumOf, parseStateHeader, type StateHeader } from '../state/state-document.ts';
import { sealState } from '../state/state-sealing.ts';
import { insertStateVersion, latestStateVersion, lockStateKey } from '../state/state.repo.ts';
import { inTransaction, toInstant } from '../store/dialect.ts';
import type { Db } from '../store/schema.ts';
import {
  adoptWorkspaceStatus,
  getWorkspaceStatus,
  type AdoptedWorkspaceStatus,
} from '../workspace/workspace-status.repo.ts';
import type {
  ProvisionerInstallation,
  RegistryTemplate,
  SchedulerEntry,
  StateFile,
} from './provisioner-files.ts';

/**
 * Registers a template from git (the template service, wired by the daemon's owner of templates). The
 * import only hands it the registry's entries; it stores nothing itself.
 */
export interface TemplateImporter {
  importTemplate(
    template: { name: string; url: string; ref: string; subdir: string | null },
    actor: string,
  ): Promise<{ readonly imported: boolean; readonly detail?: string }>;
}

export type ImportOutcome = 'imported' | 'would_import' | 'already_imported' | 'not_imported';

export interface ImportItem {
  /** `state` (a state key), `status` (a workspace), `template`, `job` (its run history), `file` (a problem). */
  readonly kind: 'state' | 'status' | 'template' | 'job' | 'file';
  readonly name: string;
  readonly outcome: ImportOutcome;
  readonly detail: string;
  /** For what is imported another way: the exact command. */
  readonly command?: string;
}

export interface ImportReport {
  readonly state_dir: string;
  readonly applied: boolean;
  readonly items: readonly ImportItem[];
}

export interface ImportOptions {
  readonly db: Db;
  /** Needed only to apply (state is sealed with it); a dry run never loads it. */
  readonly keyring?: Keyring;
  readonly apply: boolean;
  readonly now: Date;
  /** Workspaces of Tide's config directory, when one was given: others are not imported. */
  readonly configWorkspaces?: { readonly directory: string; readonly names: ReadonlySet<string> };
  readonly templateImporter?: TemplateImporter;
  readonly actor: string;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
const date = (at: Date | null) => (at === null ? 'never' : toInstant(at));

function resourceCount(content: Buffer): number {
  const document = JSON.parse(content.toString('utf8')) as { resources?: unknown };
  return Array.isArray(document.resources) ? document.resources.length : 0;
}

/**
 * The status Tide adopts. A Provisioner killed mid-run left `deploying`/`destroying` forever: that run
 * failed. `pending` was never used; without an entry the state file tells (resources or none).
 */
function adoptedStatus(
  entry: SchedulerEntry | undefined,
  state: { resources: number } | undefined,
): { adopted: AdoptedWorkspaceStatus; note: string } {
  if (entry === undefined) {
    const status = state !== undefined && state.resources > 0 ? 'deployed' : 'destroyed';
    return {
      adopted: { status, mode: null, deployedAt: null, destroyedAt: null },
      note: `no scheduler.json entry: ${status}, from the state file`,
    };
  }
  const interrupted = {
    deploying: 'deploy_failed',
    destroying: 'destroy_failed',
    pending: 'destroyed',
  } as const;
  const status =
    entry.status in interrupted ? interrupted[entry.status as keyof typeof interrupted] : entry.status;
  const adopted = {
    status: status as AdoptedWorkspaceStatus['status'],
    mode: entry.deployment_mode || null,
    deployedAt: entry.last_deployed,
    destroyedAt: entry.last_destroyed,
  };
  const was = status === entry.status ? '' : ` (was "${entry.status}": the Provisioner stopped mid-run)`;
  const mode = adopted.mode ? `, mode ${adopted.mode}` : '';
  return {
    adopted,
    note: `${status}${was}${mode}; last deployed ${date(adopted.deployedAt)}, last destroyed ${date(adopted.destroyedAt)}`,
  };
}

type ParsedState = { file: StateFile; header: StateHeader; resources: number; checksum: string };

function parseState(file: StateFile): ParsedState | { file: StateFile; problem: string } {
  if (file.content.length === 0) return { file, problem: 'empty: nothing was ever applied' };
  try {
    const header = parseStateHeader(file.content);
    return { file, header, resources: resourceCount(file.content), checksum: checksumOf(file.content) };
  } catch (error) {
    return { file, problem: `not a state file: ${(error as Error).message}` };
  }
}

/** Imports (or with `apply` false, says what it would import) one workspace, in one transaction. */
async function importWorkspace(
  options: ImportOptions,
  workspace: string,
  entry: SchedulerEntry | undefined,
  files: readonly StateFile[],
): Promise<ImportItem[]> {
  const parsed = files.map(parseState);
  const own = parsed.find((p) => p.file.job === null);
  const { adopted, note } = adoptedStatus(entry, own && 'header' in own ? own : undefined);
  return inTransaction(options.db, async (trx) => {
    const items: ImportItem[] = [];
    for (const state of parsed) {
      const name = state.file.key;
      if ('problem' in state) {
        items.push({
          kind: 'state',
          name,
          outcome: 'not_imported',
          detail: `${state.file.file}: ${state.problem}`,
        });
        continue;
      }
      const what = `${state.file.file}: serial ${state.header.serial}, ${plural(state.resources, 'resource')}`;
      if (options.apply) await lockStateKey(trx, name);
      const latest = await latestStateVersion(trx, name);
      if (latest && latest.checksum === state.checksum) {
        items.push({ kind: 'state', name, outcome: 'already_imported', detail: what });
      } else if (latest && !latest.deleted) {
        items.push({
          kind: 'state',
          name,
          outcome: 'not_imported',
          detail: `${what}: Tide already holds other state for it (serial ${latest.serial}), which is never replaced`,
        });
      } else if (!options.apply) {
        items.push({ kind: 'state', name, outcome: 'would_import', detail: what });
      } else {
        await insertStateVersion(trx, {
          state_key: name,
          serial: state.header.serial,
          lineage: state.header.lineage,
          checksum: state.checksum,
          size: state.file.content.length,
          run_id: null,
          written_by: `import:provisioner:${state.file.file}`,
          created_at: toInstant(options.now),
          ...sealState(options.keyring!, name, state.file.content),
        });
        items.push({ kind: 'state', name, outcome: 'imported', detail: what });
      }
    }
    const current = await getWorkspaceStatus(trx, workspace);
    if (current !== null) {
      items.push({
        kind: 'status',
        name: workspace,
        outcome: 'already_imported',
        detail: `Tide already has a status for it (${current.status}), which is kept`,
      });
    } else if (!options.apply) {
      items.push({ kind: 'status', name: workspace, outcome: 'would_import', detail: note });
    } else {
      await adoptWorkspaceStatus(trx, workspace, adopted, options.now);
      items.push({ kind: 'status', name: workspace, outcome: 'imported', detail: note });
    }
    return items;
  });
}

function templateCommand(template: RegistryTemplate): string {
  const quote = (text: string) =>
    /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
  const subdir = template.subdir ? ` --path ${quote(template.subdir)}` : '';
  return `tide template add ${quote(template.name)} ${quote(template.url)} --ref ${quote(template.ref)}${subdir}`;
}

async function importTemplates(
  options: ImportOptions,
  templates: readonly RegistryTemplate[],
): Promise<ImportItem[]> {
  const items: ImportItem[] = [];
  for (const template of templates) {
    const command = templateCommand(template);
    // templatectl never fetched anything: what it stored was a placeholder, so git has the real content.
    const placeholder = template.url.startsWith('file://')
      ? '; its content in the Provisioner was a placeholder (templatectl never fetched), the URL is what counts'
      : '';
    const source = `${template.url} at ${template.ref}${template.subdir ? `, ${template.subdir}/` : ''}`;
    if (options.templateImporter === undefined) {
      items.push({
        kind: 'template',
        name: template.name,
        outcome: 'not_imported',
        detail: `${source}: git templates are registered with \`tide template add\`${placeholder}`,
        command,
      });
    } else if (!options.apply) {
      items.push({
        kind: 'template',
        name: template.name,
        outcome: 'would_import',
        detail: source + placeholder,
      });
    } else {
      // One template git cannot reach (or a name taken by another source) must not stop the others.
      const result = await options.templateImporter
        .importTemplate(
          { name: template.name, url: template.url, ref: template.ref, subdir: template.subdir },
          options.actor,
        )
        .catch((error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }));
      items.push(
        'error' in result
          ? {
              kind: 'template',
              name: template.name,
              outcome: 'not_imported',
              detail: `${source}: ${result.error}`,
              command,
            }
          : {
              kind: 'template',
              name: template.name,
              outcome: result.imported ? 'imported' : 'already_imported',
              detail: result.detail ?? source,
            },
      );
    }
  }
  return items;
}

/** Imports a Provisioner installation read by readProvisionerInstallation, and reports on every part of it. */
export async function importProvisioner(
  installation: ProvisionerInstallation,
  options: ImportOptions,
): Promise<ImportReport> {
  if (options.apply && options.keyring === undefined)
    throw new Error('importProvisioner: apply needs the keyring');
  const items: ImportItem[] = installation.problems.map((problem) => ({
    kind: 'file',
    name: problem.file,
    outcome: 'not_imported',
    detail: problem.message,
  }));
  const names = [
    ...new Set([...installation.scheduler.keys(), ...installation.states.map((s) => s.workspace)]),
  ].sort();
  for (const workspace of names) {
    const files = installation.states.filter((state) => state.workspace === workspace);
    const refuse = (reason: string) => {
      for (const file of files)
        items.push({ kind: 'state', name: file.key, outcome: 'not_imported', detail: reason });
      items.push({ kind: 'status', name: workspace, outcome: 'not_imported', detail: reason });
    };
    if (!isValidName(workspace)) {
      refuse(
        'not a valid Tide workspace name (lower-case letters, digits and "-"): rename it in both tools first',
      );
      continue;
    }
    const config = options.configWorkspaces;
    if (config !== undefined && !config.names.has(workspace)) {
      refuse(`no valid workspace "${workspace}" in ${config.directory} (tide validate says why)`);
      continue;
    }
    items.push(...(await importWorkspace(options, workspace, installation.scheduler.get(workspace), files)));
  }
  items.push(...(await importTemplates(options, installation.templates)));
  for (const job of installation.jobs) {
    const counts = `${job.run_count ?? 0} runs, ${job.success_count ?? 0} succeeded, ${job.failure_count ?? 0} failed, last run ${date(job.last_run)}`;
    items.push({
      kind: 'job',
      name: job.key,
      outcome: 'not_imported',
      detail: `run history stays in jobs.json (${counts}): Tide records job runs from its first run on`,
    });
  }
  return { state_dir: installation.stateDir, applied: options.apply, items };
}
