/**
 * Reading a Provisioner installation's state directory (`/var/lib/provisioner` in its installer's layout;
 * docs/migration-from-provisioner.md): `scheduler.json`, `jobs.json`, `templates/registry.json`, and each
 * workspace's local-backend state, `deployments/<ws>/terraform.tfstate` (older layout:
 * `<ws>/terraform.tfstate` at the top), with template jobs' state in `deployments/<ws>/jobs/<job>/`.
 * Nothing here writes; a file that is missing or malformed becomes a problem naming it, never a throw.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

export interface FileProblem {
  /** Relative to the state directory. */
  readonly file: string;
  readonly message: string;
}

const instant = z.iso.datetime({ offset: true });
const optionalInstant = z
  .union([instant, z.literal(''), z.null()])
  .optional()
  // Go's zero time (0001-01-01) is "never" too.
  .transform((value) => (value && new Date(value).getUTCFullYear() > 1 ? new Date(value) : null));

export const provisionerStatuses = [
  'deployed',
  'destroyed',
  'deploying',
  'destroying',
  'deploy_failed',
  'destroy_failed',
  'pending',
] as const;
export type ProvisionerStatus = (typeof provisionerStatuses)[number];

const schedulerEntrySchema = z.looseObject({
  status: z.enum(provisionerStatuses),
  last_deployed: optionalInstant,
  last_destroyed: optionalInstant,
  last_deploy_error: z.string().nullish(),
  last_destroy_error: z.string().nullish(),
  deployment_mode: z.string().nullish(),
});
export type SchedulerEntry = z.output<typeof schedulerEntrySchema>;

const schedulerFileSchema = z.looseObject({ workspaces: z.record(z.string(), z.unknown()).nullish() });

const jobEntrySchema = z.looseObject({
  name: z.string().optional(),
  workspace_id: z.string().optional(),
  status: z.string().optional(),
  last_run: optionalInstant,
  last_success: optionalInstant,
  last_failure: optionalInstant,
  run_count: z.number().optional(),
  success_count: z.number().optional(),
  failure_count: z.number().optional(),
});
export type JobEntry = z.output<typeof jobEntrySchema> & { readonly key: string };

const registryEntrySchema = z.looseObject({
  name: z.string().optional(),
  source_url: z.string().min(1),
  source_path: z.string().nullish(),
  source_ref: z.string().nullish(),
  description: z.string().nullish(),
  content_hash: z.string().nullish(),
});

/** A template of the Provisioner's registry, as Tide's git templates take it. */
export interface RegistryTemplate {
  readonly name: string;
  readonly url: string;
  readonly ref: string;
  /** The registry's `source_path`: the template's folder inside the repository. */
  readonly subdir: string | null;
  readonly description: string | null;
}

/** A local-backend state file and the Tide state key it becomes. */
export interface StateFile {
  /** `<ws>` for a workspace, `_jobs/<ws>/<job>` for a template job (src/state/state-key.ts). */
  readonly key: string;
  readonly workspace: string;
  readonly job: string | null;
  /** Relative to the state directory. */
  readonly file: string;
  readonly content: Buffer;
}

export interface ProvisionerInstallation {
  readonly stateDir: string;
  /** Workspace name → its scheduler.json entry (only valid entries). */
  readonly scheduler: ReadonlyMap<string, SchedulerEntry>;
  readonly jobs: readonly JobEntry[];
  readonly templates: readonly RegistryTemplate[];
  readonly states: readonly StateFile[];
  /** Files that could not be read or understood: named, with the reason. */
  readonly problems: readonly FileProblem[];
}

const STATE_FILE = 'terraform.tfstate';
/**
 * Top-level entries of the state directory that are not an older-layout workspace folder: the
 * Provisioner's own, and Tide's data directory's (PROVISIONER_STATE_DIR may have made them one).
 */
const notWorkspaceFolders = new Set([
  'deployments',
  'templates',
  'jobs',
  'logs',
  'runs',
  'plugin-cache',
  'state',
  'errored-state',
]);

type Read = { ok: true; text: string } | { ok: false; missing: boolean; message: string };

async function read(file: string): Promise<Read> {
  try {
    return { ok: true, text: await readFile(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT', message: `cannot be read (${code ?? 'error'})` };
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `not valid JSON: ${(error as Error).message}` };
  }
}

const issueText = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`).join('; ');

/** Reads a JSON file; a missing file is `undefined` when `required` is false. */
async function readJsonFile(
  stateDir: string,
  relative: string,
  required: boolean,
  problems: FileProblem[],
): Promise<unknown> {
  const result = await read(path.join(stateDir, relative));
  if (!result.ok) {
    if (required || !result.missing)
      problems.push({ file: relative, message: result.missing ? 'missing' : result.message });
    return undefined;
  }
  const parsed = parseJson(result.text);
  if (!parsed.ok) {
    problems.push({ file: relative, message: parsed.message });
    return undefined;
  }
  return parsed.value;
}

async function readScheduler(
  stateDir: string,
  problems: FileProblem[],
): Promise<Map<string, SchedulerEntry>> {
  const entries = new Map<string, SchedulerEntry>();
  const value = await readJsonFile(stateDir, 'scheduler.json', true, problems);
  if (value === undefined) return entries;
  const file = schedulerFileSchema.safeParse(value);
  if (!file.success) {
    problems.push({ file: 'scheduler.json', message: issueText(file.error) });
    return entries;
  }
  for (const [name, raw] of Object.entries(file.data.workspaces ?? {})) {
    const entry = schedulerEntrySchema.safeParse(raw);
    if (entry.success) entries.set(name, entry.data);
    else
      problems.push({
        file: 'scheduler.json',
        message: `workspaces.${name}: ${issueText(entry.error)}`,
      });
  }
  return entries;
}

async function readJobs(stateDir: string, problems: FileProblem[]): Promise<JobEntry[]> {
  const value = await readJsonFile(stateDir, 'jobs.json', false, problems);
  if (value === undefined) return [];
  const file = z.looseObject({ jobs: z.record(z.string(), jobEntrySchema).nullish() }).safeParse(value);
  if (!file.success) {
    problems.push({ file: 'jobs.json', message: issueText(file.error) });
    return [];
  }
  return Object.entries(file.data.jobs ?? {})
    .map(([key, entry]) => ({ ...entry, key }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

async function readRegistry(stateDir: string, problems: FileProblem[]): Promise<RegistryTemplate[]> {
  const relative = path.join('templates', 'registry.json');
  const value = await readJsonFile(stateDir, relative, false, problems);
  if (value === undefined) return [];
  const file = z.looseObject({ templates: z.record(z.string(), z.unknown()).nullish() }).safeParse(value);
  if (!file.success) {
    problems.push({ file: relative, message: issueText(file.error) });
    return [];
  }
  const templates: RegistryTemplate[] = [];
  for (const [name, raw] of Object.entries(file.data.templates ?? {})) {
    const entry = registryEntrySchema.safeParse(raw);
    if (!entry.success) {
      problems.push({ file: relative, message: `templates.${name}: ${issueText(entry.error)}` });
      continue;
    }
    templates.push({
      name,
      url: entry.data.source_url,
      // templatectl's default ref.
      ref: entry.data.source_ref || 'main',
      subdir: entry.data.source_path || null,
      description: entry.data.description || null,
    });
  }
  return templates.sort((a, b) => a.name.localeCompare(b.name));
}

async function directories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
    .map((entry) => entry.name)
    .sort();
}

async function readStates(stateDir: string, problems: FileProblem[]): Promise<StateFile[]> {
  const states: StateFile[] = [];
  const add = async (key: string, workspace: string, job: string | null, relative: string) => {
    const result = await read(path.join(stateDir, relative));
    if (!result.ok) {
      if (!result.missing) problems.push({ file: relative, message: result.message });
      return;
    }
    states.push({ key, workspace, job, file: relative, content: Buffer.from(result.text, 'utf8') });
  };
  const current = new Set(await directories(path.join(stateDir, 'deployments')));
  for (const workspace of current) {
    await add(workspace, workspace, null, path.join('deployments', workspace, STATE_FILE));
    for (const job of await directories(path.join(stateDir, 'deployments', workspace, 'jobs')))
      await add(
        `_jobs/${workspace}/${job}`,
        workspace,
        job,
        path.join('deployments', workspace, 'jobs', job, STATE_FILE),
      );
  }
  // The older layout, still read by the Provisioner: `<state>/<ws>/terraform.tfstate`.
  for (const workspace of await directories(stateDir)) {
    if (notWorkspaceFolders.has(workspace)) continue;
    const relative = path.join(workspace, STATE_FILE);
    if (current.has(workspace)) {
      if ((await read(path.join(stateDir, relative))).ok)
        problems.push({
          file: relative,
          message: `older layout, ignored: deployments/${workspace}/ is the workspace's current working directory`,
        });
      continue;
    }
    await add(workspace, workspace, null, relative);
  }
  return states.sort((a, b) => a.key.localeCompare(b.key));
}

/** Reads everything the import needs from a Provisioner state directory. */
export async function readProvisionerInstallation(stateDir: string): Promise<ProvisionerInstallation> {
  const problems: FileProblem[] = [];
  const scheduler = await readScheduler(stateDir, problems);
  const jobs = await readJobs(stateDir, problems);
  const templates = await readRegistry(stateDir, problems);
  const states = await readStates(stateDir, problems);
  return { stateDir, scheduler, jobs, templates, states, problems };
}
