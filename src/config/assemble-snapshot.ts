/**
 * Joins loaded units into one snapshot and applies the rules that span units: templates, calendars and
 * workspaces referred to must exist, and workspace dependencies must not form a cycle. A unit that breaks
 * such a rule is left out of the snapshot (its problems say why); the others are unaffected.
 */
import type {
  ConfigProblem,
  ConfigSnapshot,
  EnvironmentDefinition,
  JobDefinition,
  LocalTemplate,
  NotificationSettings,
  WorkspaceDefinition,
} from './config-model.ts';
import type { Calendar } from '../schedule/schedule-model.ts';
import type { AnyUnit } from './config-units.ts';
import { dependencyCycleSteps } from './dependency-graph.ts';
import { hashStrings } from './unit-files.ts';
import {
  eachStep,
  runAtOnce,
  runInSlices,
  sortSteps,
  type SliceOptions,
  type Steps,
} from '../time/slices.ts';

export interface AssembleOptions {
  /** Templates known besides the local `templates/` folders (e.g. registered from git). */
  readonly knownTemplates?: ReadonlySet<string>;
  /**
   * Templates registered from git (src/template/): name → content hash at the pinned commit. Called at
   * every assembly, so a refresh shows; the hash is part of the hash of each workspace built on it.
   */
  readonly registeredTemplates?: () => ReadonlyMap<string, string>;
}

/** The definitions built on a template, by the unit's definition: the same pair gives the same object. */
const builtOnTemplate = new WeakMap<
  WorkspaceDefinition,
  { templateHash: string; built: WorkspaceDefinition }
>();

/**
 * A template edit (or a git template's refresh) changes every workspace built on it, so its hash is part of
 * theirs. Unchanged (the reload kept the unit's definition, the template's hash is the same), the previous
 * object is returned: a new one at every reload would make the scheduler rebuild each such unit and drop
 * the caches keyed by definition (next firings), whatever the reload changed.
 */
function withTemplateHash(workspace: WorkspaceDefinition, templateHash: string): WorkspaceDefinition {
  const kept = builtOnTemplate.get(workspace);
  if (kept?.templateHash === templateHash) return kept.built;
  const built = Object.freeze({
    ...workspace,
    contentHash: hashStrings([workspace.contentHash, templateHash]),
  });
  builtOnTemplate.set(workspace, { templateHash, built });
  return built;
}

export function assembleSnapshot(
  directory: string,
  units: Iterable<AnyUnit>,
  options: AssembleOptions = {},
): ConfigSnapshot {
  return runAtOnce(assembleSteps(directory, units, options));
}

/** assembleSnapshot in slices that give the event loop its turns (a reload: decision 042). */
export function assembleSnapshotInSlices(
  directory: string,
  units: Iterable<AnyUnit>,
  options: AssembleOptions = {},
  slices?: SliceOptions,
): Promise<ConfigSnapshot> {
  return runInSlices(assembleSteps(directory, units, options), slices);
}

function* assembleSteps(
  directory: string,
  units: Iterable<AnyUnit>,
  options: AssembleOptions,
): Steps<ConfigSnapshot> {
  const problems: ConfigProblem[] = [];
  const templates = new Map<string, LocalTemplate>();
  const calendars = new Map<string, Calendar>();
  const jobs = new Map<string, JobDefinition>();
  const environments = new Map<string, EnvironmentDefinition>();
  const candidates: WorkspaceDefinition[] = [];
  let notifications: NotificationSettings | undefined;
  // Workspaces with errors of their own, checked against the other units too, never loaded.
  const partials: WorkspaceDefinition[] = [];
  const workspaceIds = new Set<string>();
  const sorted = yield* sortSteps(units, (a, b) => a.file.localeCompare(b.file));
  yield* eachStep(sorted, (unit) => {
    problems.push(...unit.problems);
    if (unit.kind === 'workspace') workspaceIds.add(unit.id);
    if (unit.kind === 'workspace' && unit.partial) partials.push(unit.partial);
    if (!unit.value) return;
    if (unit.kind === 'template') templates.set(unit.value.name, unit.value);
    if (unit.kind === 'workspace') candidates.push(unit.value);
    if (unit.kind === 'calendar') addUnique(calendars, unit.value, 'calendar', problems);
    if (unit.kind === 'job') addUnique(jobs, unit.value, 'job', problems);
    if (unit.kind === 'environment') addUnique(environments, unit.value, 'environment', problems);
    if (unit.kind === 'notifications') {
      if (notifications)
        problems.push({
          severity: 'error',
          file: unit.file,
          path: '',
          message: `notifications are already configured in ${notifications.file}; keep one file`,
          unit: { kind: 'notifications', name: 'notifications' },
        });
      else notifications = unit.value;
    }
  });
  const registered = options.registeredTemplates?.() ?? new Map<string, string>();
  const templateExists = (name: string) =>
    templates.has(name) || registered.has(name) || (options.knownTemplates?.has(name) ?? false);
  const rejected = new Set<string>();
  const reject = (workspace: WorkspaceDefinition, path: string, message: string) => {
    rejected.add(workspace.name);
    problems.push({
      severity: 'error',
      file: workspace.file,
      path,
      message,
      unit: { kind: 'workspace', name: workspace.name },
    });
  };
  const warn = (unit: ConfigProblem['unit'], file: string, path: string, message: string) =>
    problems.push({ severity: 'warning', file, path, message, unit });
  // As the Provisioner did: a workspace with its own code ignores a template that does not exist.
  const ignoreMissingTemplate = (
    workspace: WorkspaceDefinition,
    index: number,
    all: WorkspaceDefinition[],
  ) => {
    if (workspace.template === undefined || templateExists(workspace.template) || !hasOwnCode(workspace))
      return;
    warn(
      { kind: 'workspace', name: workspace.name },
      workspace.file,
      'template',
      `template "${workspace.template}" does not exist; ignored: the workspace has its own *.tf files`,
    );
    all[index] = Object.freeze({ ...workspace, template: undefined });
  };
  candidates.forEach(ignoreMissingTemplate);
  partials.forEach(ignoreMissingTemplate);
  yield;
  yield* eachStep([...candidates, ...partials], (workspace) =>
    checkReferences(workspace, { templateExists, calendars, workspaceIds }, reject, warn),
  );
  yield* eachStep(candidates, (workspace) => checkNotificationReferences(workspace, notifications, warn));
  const graph = new Map(candidates.map((w) => [w.name, w.dependsOn]));
  for (const cycle of yield* dependencyCycleSteps(graph)) {
    for (const name of new Set(cycle)) {
      reject(
        candidates.find((w) => w.name === name)!,
        'depends_on',
        `circular dependency between workspaces: ${cycle.join(' → ')}`,
      );
    }
  }
  for (const job of [...jobs.values()]) {
    const unit = { kind: 'job' as const, name: job.name };
    const missingWorkspace = job.workspace !== undefined && !workspaceIds.has(job.workspace);
    const missingTemplate = job.template !== undefined && !templateExists(job.template);
    if (missingWorkspace) {
      problems.push({
        severity: 'error',
        file: job.file,
        path: 'workspace',
        message: `workspace "${job.workspace}" does not exist`,
        unit,
      });
    }
    if (missingTemplate) {
      // A disabled job never runs, so its missing template is a warning (fixed before enabling it).
      problems.push({
        severity: job.enabled ? 'error' : 'warning',
        file: job.file,
        path: 'template',
        message: `template "${job.template}" does not exist${job.enabled ? '' : ' (the job is disabled)'}`,
        unit,
      });
    }
    if (missingWorkspace || (missingTemplate && job.enabled)) jobs.delete(job.name);
  }
  for (const environment of environments.values()) {
    // A warning, not an error: the assignment moves in the database, and a Provisioner file may name a
    // workspace that was since removed. Destroy protection only ever concerns existing workspaces.
    if (environment.initialWorkspace !== undefined && !workspaceIds.has(environment.initialWorkspace)) {
      problems.push({
        severity: 'warning',
        file: environment.file,
        path: 'assigned_workspace',
        message: `workspace "${environment.initialWorkspace}" does not exist`,
        unit: { kind: 'environment', name: environment.name },
      });
    }
    const template = environment.action.template?.name;
    if (template !== undefined && !templateExists(template)) {
      // Like a bad file: listed with the error, cannot be switched, still protects (by its assignment row).
      problems.push({
        severity: 'error',
        file: environment.file,
        path: 'action.template',
        message: `template "${template}" does not exist (neither templates/${template} nor a registered git template)`,
        unit: { kind: 'environment', name: environment.name },
      });
      environments.delete(environment.name);
    }
  }
  const workspaces = new Map<string, WorkspaceDefinition>();
  yield* eachStep(candidates, (workspace) => {
    if (rejected.has(workspace.name)) return;
    const templateHash = workspace.template
      ? (templates.get(workspace.template)?.contentHash ?? registered.get(workspace.template))
      : undefined;
    workspaces.set(workspace.name, templateHash ? withTemplateHash(workspace, templateHash) : workspace);
  });
  return Object.freeze({
    directory,
    workspaces,
    jobs,
    calendars,
    templates,
    problems: Object.freeze(problems),
    environments,
    ...(notifications && { notifications }),
  });
}

/**
 * Warnings, not errors: a notification that cannot be sent must not stop a workspace's schedule. The
 * notification is skipped (and the warning stays listed) until the global file provides what it needs.
 */
function checkNotificationReferences(
  workspace: WorkspaceDefinition,
  settings: NotificationSettings | undefined,
  warn: (unit: ConfigProblem['unit'], file: string, path: string, message: string) => void,
): void {
  const unit = { kind: 'workspace' as const, name: workspace.name };
  workspace.notifications.forEach((rule, index) => {
    if (rule.target !== undefined && !settings?.targets.has(rule.target))
      warn(
        unit,
        workspace.file,
        `notifications[${index}].target`,
        `notification target "${rule.target}" does not exist in notifications.yaml`,
      );
    if (rule.email.length > 0 && !settings?.smtp)
      warn(
        unit,
        workspace.file,
        `notifications[${index}].email`,
        'no SMTP server: set "smtp" in notifications.yaml',
      );
  });
}

function addUnique<T extends { name: string; file: string }>(
  map: Map<string, T>,
  value: T,
  kind: 'calendar' | 'job' | 'environment',
  problems: ConfigProblem[],
): void {
  const existing = map.get(value.name);
  if (!existing) {
    map.set(value.name, value);
    return;
  }
  problems.push({
    severity: 'error',
    file: value.file,
    path: '',
    message: `${kind} "${value.name}" is already defined in ${existing.file}`,
    unit: { kind, name: value.name },
  });
}

function checkReferences(
  workspace: WorkspaceDefinition,
  known: {
    templateExists: (name: string) => boolean;
    calendars: ReadonlyMap<string, Calendar>;
    workspaceIds: ReadonlySet<string>;
  },
  reject: (workspace: WorkspaceDefinition, path: string, message: string) => void,
  warn: (unit: ConfigProblem['unit'], file: string, path: string, message: string) => void,
): void {
  if (workspace.template !== undefined && !known.templateExists(workspace.template)) {
    reject(
      workspace,
      'template',
      `template "${workspace.template}" does not exist (looked in templates/ and the template registry)`,
    );
  }
  workspace.calendars.forEach((calendar, index) => {
    if (!known.calendars.has(calendar)) {
      reject(
        workspace,
        workspace.calendars.length > 1 ? `calendar[${index}]` : 'calendar',
        `calendar "${calendar}" does not exist in calendars/`,
      );
    }
  });
  workspace.dependsOn.forEach((dependency, index) => {
    if (!known.workspaceIds.has(dependency))
      reject(workspace, `depends_on[${index}]`, `workspace "${dependency}" does not exist`);
  });
  workspace.jobs.forEach((job, index) => {
    if (job.template === undefined || known.templateExists(job.template)) return;
    if (job.enabled)
      reject(workspace, `jobs[${index}].template`, `template "${job.template}" does not exist`);
    else
      warn(
        { kind: 'workspace', name: workspace.name },
        workspace.file,
        `jobs[${index}].template`,
        `template "${job.template}" does not exist (the job is disabled)`,
      );
  });
}

/** OpenTofu reads only the root directory of a module, so only top-level files count. */
function hasOwnCode(workspace: WorkspaceDefinition): boolean {
  return workspace.files.some((file) => !file.includes('/') && /\.tf(\.json)?$/.test(file));
}
