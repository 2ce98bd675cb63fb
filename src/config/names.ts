/**
 * Names that become directory names, URL segments and database keys. One pattern for all of them keeps
 * path traversal (`../x`), hidden files and case collisions out by construction.
 */
export const namePattern = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const nameRule =
  'lower-case letters, digits and "-", starting with a letter or digit, at most 63 characters';

export function isValidName(name: string): boolean {
  return namePattern.test(name);
}

/** OpenTofu variable identifiers. */
export const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Variables Tide writes into every run's tide.auto.tfvars.json; a workspace may not set them itself. */
export const reservedVariableNames = ['workspace', 'mode'] as const;

/** The pseudo-workspace of standalone jobs in the ledger and runs (cannot collide: names start [a-z0-9]). */
export const standaloneScope = '_standalone_';
