/**
 * What Tide acts on after a reload: the new snapshot, except that a workspace or job whose files became
 * invalid keeps its last good definition and carries the error. Pure, so reload behaviour is testable
 * without a file system.
 */
import type { ConfigProblem, ConfigSnapshot, JobDefinition, WorkspaceDefinition } from './config-model.ts';
import { formatProblem } from './config-loader.ts';
import { eachStep, runAtOnce, runInSlices, type SliceOptions, type Steps } from '../time/slices.ts';

export interface Effective<T> {
  /** The definition in force: the current one, or the last good one while the files are invalid. */
  readonly definition: T | null;
  /** Why the files are rejected, or null. */
  readonly configError: string | null;
}

export interface EffectiveConfig {
  readonly snapshot: ConfigSnapshot;
  readonly workspaces: ReadonlyMap<string, Effective<WorkspaceDefinition>>;
  readonly jobs: ReadonlyMap<string, Effective<JobDefinition>>;
}

export type ChangeKind = 'added' | 'updated' | 'removed' | 'rejected' | 'recovered';

export interface ConfigChange {
  readonly kind: 'workspace' | 'job' | 'calendar' | 'template' | 'environment';
  readonly name: string;
  readonly change: ChangeKind;
}

export interface Applied {
  readonly next: EffectiveConfig;
  readonly changes: ConfigChange[];
}

export function applySnapshot(previous: EffectiveConfig | null, snapshot: ConfigSnapshot): Applied {
  return runAtOnce(applySteps(previous, snapshot));
}

/** applySnapshot in slices that give the event loop its turns (a reload: decision 042). */
export function applySnapshotInSlices(
  previous: EffectiveConfig | null,
  snapshot: ConfigSnapshot,
  slices?: SliceOptions,
): Promise<Applied> {
  return runInSlices(applySteps(previous, snapshot), slices);
}

function* applySteps(previous: EffectiveConfig | null, snapshot: ConfigSnapshot): Steps<Applied> {
  const changes: ConfigChange[] = [];
  const workspaces = yield* merge(
    'workspace',
    previous?.workspaces,
    snapshot.workspaces,
    snapshot.problems,
    (d) => d.contentHash,
    changes,
  );
  const jobs = yield* merge(
    'job',
    previous?.jobs,
    snapshot.jobs,
    snapshot.problems,
    (d) => JSON.stringify(d),
    changes,
  );
  const others = {
    calendar: (c: ConfigSnapshot | undefined) => c?.calendars,
    template: (c: ConfigSnapshot | undefined) => c?.templates,
    environment: (c: ConfigSnapshot | undefined) => c?.environments,
  };
  for (const kind of ['calendar', 'template', 'environment'] as const) {
    const before = others[kind](previous?.snapshot);
    const after = others[kind](snapshot) ?? new Map<string, unknown>();
    const fingerprint = (value: unknown) =>
      JSON.stringify(value, (_key, v: unknown) => (v instanceof Set ? [...v] : v));
    for (const [name, value] of after) {
      const old = before?.get(name);
      if (!old) changes.push({ kind, name, change: 'added' });
      else if (fingerprint(old) !== fingerprint(value)) changes.push({ kind, name, change: 'updated' });
    }
    for (const name of before?.keys() ?? [])
      if (!after.has(name)) changes.push({ kind, name, change: 'removed' });
  }
  // An environment's file going bad is news too (it cannot be switched until fixed): say so once per error.
  const before = environmentErrors(previous?.snapshot.problems ?? []);
  for (const [name, errors] of environmentErrors(snapshot.problems))
    if (before.get(name) !== errors) changes.push({ kind: 'environment', name, change: 'rejected' });
  return { next: Object.freeze({ snapshot, workspaces, jobs }), changes };
}

function* merge<T>(
  kind: 'workspace' | 'job',
  previous: ReadonlyMap<string, Effective<T>> | undefined,
  current: ReadonlyMap<string, T>,
  problems: readonly ConfigProblem[],
  fingerprint: (definition: T) => string,
  changes: ConfigChange[],
): Steps<Map<string, Effective<T>>> {
  const errors = new Map<string, string[]>();
  for (const problem of problems) {
    if (problem.severity !== 'error' || problem.unit.kind !== kind) continue;
    errors.set(problem.unit.name, [...(errors.get(problem.unit.name) ?? []), formatProblem(problem)]);
  }
  const merged = new Map<string, Effective<T>>();
  const names = [...new Set([...current.keys(), ...errors.keys()])].sort();
  yield;
  yield* eachStep(names, (name) => {
    const old = previous?.get(name);
    const definition = current.get(name);
    if (definition !== undefined) {
      // The same definition object (an unchanged unit) keeps its entry: a reload then leaves garbage
      // only for what changed, and at 10,000 workspaces the collector's pauses were longer than a slice.
      merged.set(
        name,
        old?.definition === definition && old.configError === null ? old : { definition, configError: null },
      );
      if (!old) changes.push({ kind, name, change: 'added' });
      else if (old.configError !== null) changes.push({ kind, name, change: 'recovered' });
      else if (old.definition === null || fingerprint(old.definition) !== fingerprint(definition))
        changes.push({ kind, name, change: 'updated' });
    } else {
      const configError = errors.get(name)!.join('\n');
      merged.set(name, { definition: old?.definition ?? null, configError });
      if (old?.configError !== configError) changes.push({ kind, name, change: 'rejected' });
    }
  });
  for (const name of previous?.keys() ?? [])
    if (!merged.has(name)) changes.push({ kind, name, change: 'removed' });
  return merged;
}

function environmentErrors(problems: readonly ConfigProblem[]): Map<string, string> {
  const errors = new Map<string, string>();
  for (const problem of problems) {
    if (problem.severity !== 'error' || problem.unit.kind !== 'environment') continue;
    const text = formatProblem(problem);
    errors.set(
      problem.unit.name,
      errors.has(problem.unit.name) ? `${errors.get(problem.unit.name)}\n${text}` : text,
    );
  }
  return errors;
}
