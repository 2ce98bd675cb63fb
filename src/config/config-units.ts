/**
 * A config directory is a set of independent units: a workspace folder, a standalone job file, a calendar
 * file, a local template folder. Each unit loads and validates on its own, so one broken unit never blocks
 * the others and a hot reload only re-reads the units whose files changed.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import path from 'node:path';
import { parseCalendarFile } from './calendar-file.ts';
import type {
  ConfigProblem,
  EnvironmentDefinition,
  JobDefinition,
  LocalTemplate,
  NotificationSettings,
  WorkspaceDefinition,
} from './config-model.ts';
import { notificationsFilePattern, parseNotificationsFile } from './notifications-file.ts';
import {
  environmentFilePattern,
  isProvisionerEnvironmentFile,
  parseEnvironmentFile,
} from './environment-file.ts';
import type { Calendar } from '../schedule/schedule-model.ts';
import { standaloneJobSchema } from './job-config.schema.ts';
import { isValidName, nameRule, standaloneScope } from './names.ts';
import { normalizeJob } from './normalize-job.ts';
import { normalizeWorkspace } from './normalize-workspace.ts';
import { parseConfigText } from './parse-config-file.ts';
import { joined, NO_ITEMS } from './shared-values.ts';
import { isDirectory, listDirectory, readUnitFiles, type Listing } from './unit-files.ts';
import { provisionerJobValue, provisionerWorkspaceValue } from './provisioner-compat.ts';
import { checkWorkspace, type Finding } from './workspace-checks.ts';
import { workspaceConfigSchema, type WorkspaceConfig } from './workspace-config.schema.ts';
import { issuesToProblems } from './zod-problems.ts';

export type UnitKind = 'workspace' | 'job' | 'calendar' | 'template' | 'environment' | 'notifications';

export type UnitValue = {
  workspace: WorkspaceDefinition;
  job: JobDefinition;
  calendar: Calendar;
  template: LocalTemplate;
  environment: EnvironmentDefinition;
  notifications: NotificationSettings;
};

export interface Unit<K extends UnitKind = UnitKind> {
  readonly kind: K;
  /**
   * Folder name (workspace, template) or file name (job, calendar): unique per kind. An environment's is
   * its file relative to the config directory (`environments/prod.json`, or the Provisioner's `prod.json`).
   */
  readonly id: string;
  readonly file: string;
  readonly problems: readonly ConfigProblem[];
  /** Absent when the unit has errors. */
  readonly value?: UnitValue[K];
  /**
   * A workspace with errors: what its valid fields say, for the rules that span units (a missing
   * template, calendar or dependency is reported with its other problems). Never loaded or run.
   */
  readonly partial?: UnitValue[K];
}

export type AnyUnit = { [K in UnitKind]: Unit<K> }[UnitKind];

export const unitKey = (kind: UnitKind, id: string): string => joined(kind, ':', id);

const configFileNames = ['config.json', 'config.yaml', 'config.yml'];
const jobFile = /\.(json|ya?ml)$/;
const calendarFile = /\.(ya?ml|ics)$/;

/** Which unit a changed path (relative to the config directory) belongs to, if any. */
export function unitOfPath(relative: string): { kind: UnitKind; id: string } | null {
  const [top, id, ...rest] = relative.split(/[\\/]/);
  if (top !== undefined && id === undefined && notificationsFilePattern.test(top))
    return { kind: 'notifications', id: top };
  if (top !== undefined && id === undefined && isProvisionerEnvironmentFile(top))
    return { kind: 'environment', id: top };
  if (!id || id.startsWith('.')) return null;
  if (top === 'workspaces') return { kind: 'workspace', id };
  if (top === 'templates') return { kind: 'template', id };
  if (rest.length > 0) return null;
  if (top === 'jobs' && jobFile.test(id)) return { kind: 'job', id };
  if (top === 'calendars' && calendarFile.test(id)) return { kind: 'calendar', id };
  if (top === 'environments' && environmentFilePattern.test(id))
    return { kind: 'environment', id: `environments/${id}` };
  return null;
}

/** Every unit present in the directory. */
export async function listUnits(directory: string): Promise<{ kind: UnitKind; id: string }[]> {
  const units: { kind: UnitKind; id: string }[] = [];
  const folders = { workspaces: 'workspace', templates: 'template' } as const;
  for (const [folder, kind] of Object.entries(folders)) {
    for (const entry of await listDirectory(path.join(directory, folder))) {
      if (entry.isDirectory() && !entry.name.startsWith('.')) units.push({ kind, id: entry.name });
    }
  }
  for (const [folder, kind, pattern] of [
    ['jobs', 'job', jobFile],
    ['calendars', 'calendar', calendarFile],
  ] as const) {
    for (const entry of await listDirectory(path.join(directory, folder))) {
      if (entry.isFile() && pattern.test(entry.name) && !entry.name.startsWith('.'))
        units.push({ kind, id: entry.name });
    }
  }
  for (const entry of await listDirectory(path.join(directory, 'environments'))) {
    if (entry.isFile() && environmentFilePattern.test(entry.name) && !entry.name.startsWith('.'))
      units.push({ kind: 'environment', id: `environments/${entry.name}` });
  }
  for (const entry of await listDirectory(directory)) {
    if (entry.isFile() && isProvisionerEnvironmentFile(entry.name))
      units.push({ kind: 'environment', id: entry.name });
    if (entry.isFile() && notificationsFilePattern.test(entry.name))
      units.push({ kind: 'notifications', id: entry.name });
  }
  return units;
}

export interface LoadOptions {
  /** Zone for workspaces without `timezone` (TIDE_TIMEZONE, default UTC). */
  readonly defaultTimeZone: string;
  /**
   * A directory's entries as the config watch listed them moments ago, if it did (the watcher's start):
   * each directory is then listed once, not twice. Absent: the loader lists it.
   */
  readonly listing?: Listing;
}

/**
 * Loads one unit; null when it no longer exists. `listed`: the caller has just seen the unit's folder as a
 * directory (not a link) in its parent's listing, so it is not checked again.
 */
export async function loadUnit(
  directory: string,
  kind: UnitKind,
  id: string,
  options: LoadOptions,
  listed = false,
): Promise<AnyUnit | null> {
  switch (kind) {
    case 'workspace':
      return loadWorkspaceUnit(directory, id, options, listed);
    case 'job':
      return loadJobUnit(directory, id, options);
    case 'calendar':
      return loadCalendarUnit(directory, id);
    case 'template':
      return loadTemplateUnit(directory, id);
    case 'environment':
      return loadEnvironmentUnit(directory, id);
    case 'notifications':
      return loadNotificationsUnit(directory, id);
  }
}

function problem(
  kind: UnitKind,
  name: string,
  file: string,
  pathText: string,
  message: string,
  severity: 'error' | 'warning' = 'error',
): ConfigProblem {
  return { severity, file, path: pathText, message, unit: { kind, name } };
}

const nameProblem = (kind: UnitKind, id: string, file: string) =>
  problem(kind, id, file, '', `invalid ${kind} name "${id}": use ${nameRule}`);

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

async function loadWorkspaceUnit(
  directory: string,
  name: string,
  options: LoadOptions,
  listed: boolean,
): Promise<Unit<'workspace'> | null> {
  const folder = path.join(directory, 'workspaces', name);
  if (!listed && !(await isDirectory(folder))) return null;
  const folderFile = `workspaces/${name}`;
  if (!isValidName(name))
    return {
      kind: 'workspace',
      id: name,
      file: folderFile,
      problems: [nameProblem('workspace', name, folderFile)],
    };
  // One listing and one read per file: the config file's text comes from the read that hashes it.
  const unitFiles = await readUnitFiles(folder, configFileNames, options.listing).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  });
  if (unitFiles === null) return null;
  const present = [];
  for (const candidate of configFileNames) {
    // A config file that is a link is not part of the hash, but it is still the workspace's config.
    const text =
      unitFiles.texts.get(candidate) ??
      (unitFiles.skippedLinks.includes(candidate) ? await readIfExists(path.join(folder, candidate)) : null);
    if (text !== null && text !== undefined) present.push({ file: joined(folderFile, '/', candidate), text });
  }
  const fail = (file: string, pathText: string, message: string): Unit<'workspace'> => ({
    kind: 'workspace',
    id: name,
    file,
    problems: [problem('workspace', name, file, pathText, message)],
  });
  if (present.length === 0)
    return fail(folderFile, '', 'no config.json or config.yaml in the workspace folder');
  if (present.length > 1)
    return fail(
      folderFile,
      '',
      `more than one config file: ${present.map((p) => path.basename(p.file)).join(', ')}`,
    );
  const { file, text } = present[0]!;
  const parsed = parseConfigText(file, text);
  if (!parsed.ok) return fail(file, '', parsed.message);
  const raw = provisionerWorkspaceValue(parsed.value);
  const result = workspaceConfigSchema.safeParse(raw);
  if (!result.success) {
    const rest = checkRest(raw, result.error.issues, unitFiles.files, name);
    return {
      kind: 'workspace',
      id: name,
      file,
      problems: [
        ...issuesToProblems(result.error.issues).map((p) =>
          problem('workspace', name, file, p.path, p.message),
        ),
        ...rest.findings.map((f) => problem('workspace', name, file, f.path, f.message, f.severity)),
      ],
      partial:
        rest.config &&
        normalizeWorkspace(rest.config, {
          name,
          defaultTimeZone: options.defaultTimeZone,
          directory: folder,
          file,
          files: unitFiles.files,
          contentHash: unitFiles.contentHash,
        }),
    };
  }
  const findings = checkWorkspace(result.data, { name, files: unitFiles.files });
  const problems = [
    ...findings.map((f) => problem('workspace', name, file, f.path, f.message, f.severity)),
    ...unitFiles.skippedLinks.map((link) =>
      problem(
        'workspace',
        name,
        `${folderFile}/${link}`,
        '',
        'symbolic link not followed: a workspace is the files inside its folder',
        'warning',
      ),
    ),
  ];
  const value = problems.some((p) => p.severity === 'error')
    ? undefined
    : normalizeWorkspace(result.data, {
        name,
        defaultTimeZone: options.defaultTimeZone,
        directory: folder,
        file,
        files: unitFiles.files,
        contentHash: unitFiles.contentHash,
      });
  return { kind: 'workspace', id: name, file, problems: problems.length > 0 ? problems : NO_ITEMS, value };
}

/**
 * One problem never hides another: when some keys of a workspace config are invalid, the other keys are
 * still checked together (cross-field rules), and what they say is reported with the schema's problems.
 * An invalid job is replaced by a stand-in with its name and dependencies (when those are valid), so the
 * other jobs' rules (duplicates, dependencies, cycles) are checked too, at their own indices.
 */
function checkRest(
  raw: unknown,
  issues: readonly z.core.$ZodIssue[],
  files: readonly string[],
  name: string,
): { findings: Finding[]; config?: WorkspaceConfig } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { findings: [] };
  const badJobs = new Set<number>();
  // The top-level key each issue is about; unknown keys at the top are reported by name.
  const failed = new Set(
    issues.flatMap((issue) => {
      if (issue.code === 'unrecognized_keys' && issue.path.length === 0) return issue.keys;
      const [key, index] = issue.path;
      if (key === 'jobs' && typeof index === 'number') {
        badJobs.add(index);
        return [];
      }
      // A problem of the whole object (none today) leaves nothing to check apart: the parse below fails.
      return [String(key)];
    }),
  );
  const rest: Record<string, unknown> = Object.fromEntries(
    Object.entries(raw).filter(([key]) => !failed.has(key)),
  );
  const placeholders: string[] = [];
  if (Array.isArray(rest.jobs)) {
    rest.jobs = rest.jobs.map((job: unknown, index) => {
      if (!badJobs.has(index)) return job;
      const stand = standIn(job, index);
      if (stand.placeholder) placeholders.push(`"${stand.job.name as string}"`);
      return stand.job;
    });
  }
  const parsed = workspaceConfigSchema.safeParse(rest);
  if (!parsed.success) return { findings: [] };
  const findings = checkWorkspace(parsed.data, { name, files }).filter(
    // A finding about a key that was left out (or, for "no code", about a bad template), or about a
    // stand-in's made-up name, is not news.
    (finding) =>
      !failed.has(finding.path.split(/[.[]/)[0]!) &&
      !(finding.path === '' && failed.has('template')) &&
      !placeholders.some((placeholder) => finding.message.includes(placeholder)),
  );
  return { findings, config: parsed.data };
}

/** What the dependency rules need of an invalid job: its name and `depends_on`, if those are valid. */
function standIn(job: unknown, index: number): { job: Record<string, unknown>; placeholder: boolean } {
  const { name, depends_on: dependsOn } = (typeof job === 'object' && job !== null ? job : {}) as Record<
    string,
    unknown
  >;
  const validDependencies =
    Array.isArray(dependsOn) && dependsOn.every((entry) => typeof entry === 'string' && isValidName(entry));
  if (typeof name !== 'string' || !isValidName(name))
    return { job: { name: `invalid-job-${index}`, type: 'command', command: 'true' }, placeholder: true };
  const dependencies = validDependencies ? { depends_on: dependsOn } : {};
  return { job: { name, type: 'command', command: 'true', ...dependencies }, placeholder: false };
}

async function loadJobUnit(directory: string, id: string, options: LoadOptions): Promise<Unit<'job'> | null> {
  const file = `jobs/${id}`;
  const text = await readIfExists(path.join(directory, file));
  if (text === null) return null;
  const fallbackName = id.replace(jobFile, '');
  const fail = (problems: ConfigProblem[]): Unit<'job'> => ({ kind: 'job', id, file, problems });
  const parsed = parseConfigText(file, text);
  if (!parsed.ok) return fail([problem('job', fallbackName, file, '', parsed.message)]);
  const raw = provisionerJobValue(parsed.value);
  const result = standaloneJobSchema.safeParse(raw);
  const dependsOn = (raw as { depends_on?: unknown } | null)?.depends_on;
  // Every problem at once: the schema's, the name's and this rule's.
  const dependencyProblem = (name: string) =>
    Array.isArray(dependsOn) && dependsOn.length > 0
      ? [
          problem(
            'job',
            name,
            file,
            'depends_on',
            'standalone jobs cannot depend on other jobs; put them in one workspace',
          ),
        ]
      : [];
  if (!result.success) {
    return fail([
      ...issuesToProblems(result.error.issues).map((p) =>
        problem('job', fallbackName, file, p.path, p.message),
      ),
      ...(result.error.issues.some((issue) => issue.path[0] === 'depends_on')
        ? []
        : dependencyProblem(fallbackName)),
    ]);
  }
  const name = result.data.name ?? fallbackName;
  const problems = [
    ...(isValidName(name) ? [] : [nameProblem('job', name, file)]),
    ...dependencyProblem(name),
  ];
  if (problems.length > 0) return fail(problems);
  const value = normalizeJob(result.data, {
    name,
    scope: standaloneScope,
    workspace: result.data.workspace,
    timezone: result.data.timezone ?? options.defaultTimeZone,
    file,
    keyPrefix: `jobs.${name}`,
  });
  return { kind: 'job', id, file, problems: [], value };
}

async function loadCalendarUnit(directory: string, id: string): Promise<Unit<'calendar'> | null> {
  const file = `calendars/${id}`;
  const text = await readIfExists(path.join(directory, file));
  if (text === null) return null;
  const name = id.replace(calendarFile, '');
  if (!isValidName(name))
    return { kind: 'calendar', id, file, problems: [nameProblem('calendar', name, file)] };
  const parsed = parseCalendarFile({ name, file, text, format: id.endsWith('.ics') ? 'ics' : 'yaml' });
  if (!parsed.ok) {
    return {
      kind: 'calendar',
      id,
      file,
      problems: parsed.problems.map((p) => problem('calendar', name, file, p.path, p.message)),
    };
  }
  return { kind: 'calendar', id, file, problems: [], value: parsed.calendar };
}

async function loadTemplateUnit(directory: string, name: string): Promise<Unit<'template'> | null> {
  const folder = path.join(directory, 'templates', name);
  const file = `templates/${name}`;
  if (!(await isDirectory(folder))) return null;
  if (!isValidName(name))
    return { kind: 'template', id: name, file, problems: [nameProblem('template', name, file)] };
  const { files, contentHash } = await readUnitFiles(folder);
  if (!files.some((f) => !f.includes('/') && /\.tf(\.json)?$/.test(f))) {
    return {
      kind: 'template',
      id: name,
      file,
      problems: [problem('template', name, file, '', 'no *.tf files in the template folder')],
    };
  }
  return {
    kind: 'template',
    id: name,
    file,
    problems: [],
    value: Object.freeze({ name, directory: folder, files, contentHash }),
  };
}

async function loadEnvironmentUnit(directory: string, id: string): Promise<Unit<'environment'> | null> {
  const text = await readIfExists(path.join(directory, id));
  if (text === null) return null;
  const result = parseEnvironmentFile(id, text);
  if (!result.ok) {
    return {
      kind: 'environment',
      id,
      file: id,
      problems: result.problems.map((p) => problem('environment', result.name, id, p.path, p.message)),
    };
  }
  return { kind: 'environment', id, file: id, problems: [], value: result.value };
}

async function loadNotificationsUnit(directory: string, id: string): Promise<Unit<'notifications'> | null> {
  const text = await readIfExists(path.join(directory, id));
  if (text === null) return null;
  const result = parseNotificationsFile(id, text);
  if (!result.ok) {
    return {
      kind: 'notifications',
      id,
      file: id,
      problems: result.problems.map((p) => problem('notifications', 'notifications', id, p.path, p.message)),
    };
  }
  return { kind: 'notifications', id, file: id, problems: [], value: result.value };
}
