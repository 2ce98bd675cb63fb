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
  WorkspaceDefinition,
} from './config-model.ts';
import type { Calendar } from '../schedule/schedule-model.ts';
import type { AnyUnit } from './config-units.ts';
import { checkDependencies } from './dependency-graph.ts';
import { hashStrings } from './unit-files.ts';

export interface AssembleOptions {
  /** Templates known besides the local `templates/` folders (e.g. registered from git). */
  readonly knownTemplates?: ReadonlySet<string>;
}

export function assembleSnapshot(
  directory: string,
  units: Iterable<AnyUnit>,
  options: AssembleOptions = {},
): ConfigSnapshot {
  const problems: ConfigProblem[] = [];
  const templates = new Map<string, LocalTemplate>();
  const calendars = new Map<string, Calendar>();
  const jobs = new Map<string, JobDefinition>();
  const environments = new Map<string, EnvironmentDefinition>();
  const candidates: WorkspaceDefinition[] = [];
  const workspaceIds = new Set<string>();
  for (const unit of [...units].sort((a, b) => a.file.localeCompare(b.file))) {
    problems.push(...unit.problems);
    if (unit.kind === 'workspace') workspaceIds.add(unit.id);
    if (!unit.value) continue;
    if (unit.kind === 'template') templates.set(unit.value.name, unit.value);
    if (unit.kind === 'workspace') candidates.push(unit.value);
    if (unit.kind === 'calendar') addUnique(calendars, unit.value, 'calendar', problems);
    if (unit.kind === 'job') addUnique(jobs, unit.value, 'job', problems);
    if (unit.kind === 'environment') addUnique(environments, unit.value, 'environment', problems);
  }
  const templateExists = (name: string) =>
    templates.has(name) || (options.knownTemplates?.has(name) ?? false);
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
  for (const workspace of candidates)
    checkReferences(workspace, { templateExists, calendars, workspaceIds }, reject);
  const graph = new Map(candidates.map((w) => [w.name, w.dependsOn]));
  for (const cycle of checkDependencies(graph).cycles) {
    for (const name of new Set(cycle)) {
      reject(
        candidates.find((w) => w.name === name)!,
        'depends_on',
        `circular dependency between workspaces: ${cycle.join(' → ')}`,
      );
    }
  }
  for (const job of [...jobs.values()]) {
    const error =
      job.workspace !== undefined && !workspaceIds.has(job.workspace)
        ? `workspace "${job.workspace}" does not exist`
        : job.template !== undefined && !templateExists(job.template)
          ? `template "${job.template}" does not exist`
          : null;
    if (error) {
      jobs.delete(job.name);
      problems.push({
        severity: 'error',
        file: job.file,
        path: job.workspace !== undefined && error.startsWith('workspace') ? 'workspace' : 'template',
        message: error,
        unit: { kind: 'job', name: job.name },
      });
    }
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
  }
  const workspaces = new Map<string, WorkspaceDefinition>();
  for (const workspace of candidates) {
    if (rejected.has(workspace.name)) continue;
    const template = workspace.template ? templates.get(workspace.template) : undefined;
    // A template edit changes every workspace built on it, so its hash is part of theirs.
    workspaces.set(
      workspace.name,
      template
        ? Object.freeze({
            ...workspace,
            contentHash: hashStrings([workspace.contentHash, template.contentHash]),
          })
        : workspace,
    );
  }
  return Object.freeze({
    directory,
    workspaces,
    jobs,
    calendars,
    templates,
    problems: Object.freeze(problems),
    environments,
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
    if (job.template !== undefined && !known.templateExists(job.template)) {
      reject(workspace, `jobs[${index}].template`, `template "${job.template}" does not exist`);
    }
  });
}
