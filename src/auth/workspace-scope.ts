/**
 * Which workspaces a principal may touch (SPEC §7): name patterns such as `team-a-*`, where `*` is any
 * run of characters and everything else is literal. A pattern is anchored (`web` is not `web-2`).
 *
 * A scope is a list of pattern sets that must ALL admit a name: an API token is limited by its own
 * patterns and by those of the user who made it, so it can never reach further than that user.
 * An empty list of sets means every workspace.
 */
import { z } from 'zod';

/** Workspace names are `[a-z0-9-]`; a pattern adds `*`. Nothing else, so `%`, `_` and `\` never appear. */
export const workspacePatternSchema = z.string().regex(/^[a-z0-9*][a-z0-9*-]{0,62}$/, {
  error: (issue) =>
    `invalid workspace pattern "${String(issue.input)}": lower-case letters, digits, "-" and "*"`,
});

export const workspacePatternsSchema = z.array(workspacePatternSchema).min(1).max(100);

export type PatternSet = readonly string[];

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** The same pattern for SQL `LIKE`: names and patterns hold no `%` or `_`, so only `*` needs mapping. */
export function globToLike(pattern: string): string {
  return pattern.replaceAll('*', '%');
}

export class WorkspaceScope {
  static readonly all = new WorkspaceScope([]);

  readonly #matchers: readonly (readonly RegExp[])[];

  constructor(readonly sets: readonly PatternSet[]) {
    this.#matchers = sets.map((set) => set.map(globToRegExp));
  }

  /** `null` patterns (the column's "every workspace") add no restriction. */
  static of(...patternSets: (PatternSet | null)[]): WorkspaceScope {
    return new WorkspaceScope(patternSets.filter((set): set is PatternSet => set !== null));
  }

  get unrestricted(): boolean {
    return this.sets.length === 0;
  }

  allows(workspace: string): boolean {
    return this.#matchers.every((set) => set.some((matcher) => matcher.test(workspace)));
  }

  /**
   * Whether every name `pattern` can match is inside this scope. `*` in the pattern must then be swallowed
   * by a `*` of every set (scope literals never contain `*`), so matching the pattern's own text,
   * `*` included, against the scope's expressions is exact.
   */
  covers(pattern: string): boolean {
    return this.allows(pattern);
  }
}
