/**
 * TIDE_OIDC_ROLE_MAP: which Tide role a person signing in through the identity provider gets, from the
 * values of one claim (groups, by default). `tide-admins=admin,tide-ops=operator,*=viewer` — each entry
 * is `<claim value>=<role>`, `*` matches everyone. When several entries match, the highest role wins
 * (admin > operator > viewer), whatever the order they are written in: a person in both `tide-ops` and
 * `tide-admins` is an admin. No match (and no `*`) means no access: the login is refused.
 */
import { roles, type Role } from '../permissions.ts';

export interface RoleMapping {
  /** The claim value to look for, or `*` for anyone. */
  readonly value: string;
  readonly role: Role;
}

export type RoleMap = readonly RoleMapping[];

export const ANY_VALUE = '*';

/** Highest first: the order in which matches are considered. */
const byRank: readonly Role[] = ['admin', 'operator', 'viewer'];

export type RoleMapParse = { ok: true; map: RoleMap } | { ok: false; errors: string[] };

/**
 * Parses `value=role,…`. Each entry splits at its last `=`, so a value may itself contain `=`; values
 * cannot contain commas. Every problem is reported at once.
 */
export function parseRoleMap(text: string): RoleMapParse {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return { ok: false, errors: ['expected at least one entry such as "*=viewer"'] };
  const map: RoleMapping[] = [];
  const errors: string[] = [];
  for (const entry of entries) {
    const at = entry.lastIndexOf('=');
    const value = at < 0 ? '' : entry.slice(0, at).trim();
    const role = at < 0 ? '' : entry.slice(at + 1).trim();
    if (value === '' || !(roles as readonly string[]).includes(role)) {
      errors.push(`"${entry}" is not <claim value>=<${roles.join('|')}>`);
    } else if (map.some((mapping) => mapping.value === value)) {
      errors.push(`"${value}" is mapped twice`);
    } else {
      map.push({ value, role: role as Role });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, map };
}

/** The role the claim values earn, or null when nothing matches (no access). */
export function roleForClaimValues(map: RoleMap, values: readonly string[]): Role | null {
  const held = new Set(values);
  const matches = map.filter((mapping) => mapping.value === ANY_VALUE || held.has(mapping.value));
  return byRank.find((role) => matches.some((mapping) => mapping.role === role)) ?? null;
}

/** Back to the TIDE_OIDC_ROLE_MAP text, for logs and docs. */
export function formatRoleMap(map: RoleMap): string {
  return map.map((mapping) => `${mapping.value}=${mapping.role}`).join(',');
}
