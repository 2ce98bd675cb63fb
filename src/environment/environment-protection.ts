/**
 * The workspace an environment points at is protected from destroy (docs/environments.md): a scheduled
 * destroy is skipped and a manual or API destroy refused, naming the environment. So is the target of a
 * switch in progress. Environments count while their file is present (valid or not); removing the file
 * removes the protection, like removing `protect: true`.
 */
import type { ConfigSnapshot } from '../config/config-model.ts';
import type { Db } from '../store/schema.ts';
import { assignedWorkspace, listAssignments } from './environment.repo.ts';

export interface Holding {
  readonly environment: string;
  /** The environment's file, relative to the config directory. */
  readonly file: string | null;
}

/** Which environment holds `workspace`, if any (the first by name). */
export async function environmentHolding(
  db: Db,
  snapshot: ConfigSnapshot,
  workspace: string,
): Promise<Holding | null> {
  return (await holdings(db, snapshot)).get(workspace) ?? null;
}

/** Every held workspace, with the environment holding it. */
export async function holdings(db: Db, snapshot: ConfigSnapshot): Promise<Map<string, Holding>> {
  const present = new Map<string, string | null>();
  for (const problem of snapshot.problems)
    if (problem.unit.kind === 'environment' && problem.severity === 'error')
      present.set(problem.unit.name, problem.file);
  for (const environment of snapshot.environments?.values() ?? [])
    present.set(environment.name, environment.file);
  // The scheduler asks this for every workspace it observes: without environments, no query.
  if (present.size === 0) return new Map();
  const rows = new Map((await listAssignments(db)).map((row) => [row.environment, row]));
  const held = new Map<string, Holding>();
  for (const name of [...present.keys()].sort()) {
    const row = rows.get(name);
    const assigned = assignedWorkspace(row, snapshot.environments?.get(name)?.initialWorkspace ?? null);
    for (const workspace of [assigned, row?.switching_to ?? null]) {
      if (workspace !== null && !held.has(workspace))
        held.set(workspace, { environment: name, file: present.get(name) ?? null });
    }
  }
  return held;
}

/** The reason a destroy is skipped or refused: it starts with `environment` (SPEC §2). */
export function protectionReason(workspace: string, holding: Holding): string {
  return `environment: workspace "${workspace}" is assigned to environment "${holding.environment}"; switch the environment to another workspace first`;
}

/**
 * For a destroy chain (decision 022): the environment each workspace is assigned to, or null. Read once,
 * so a chain through many dependents costs one query.
 */
export async function environmentLookup(
  db: Db,
  snapshot: ConfigSnapshot,
): Promise<(workspace: string) => string | null> {
  const held = await holdings(db, snapshot);
  return (workspace) => held.get(workspace)?.environment ?? null;
}
