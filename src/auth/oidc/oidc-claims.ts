/**
 * Reading what Tide needs from the claims of a person signed in through the identity provider: a
 * username and the values of the role claim. Pure functions over the ID token claims (merged with the
 * UserInfo answer when the ID token lacks them).
 */
import { usernameSchema } from '../user.ts';

export type Claims = Readonly<Record<string, unknown>>;

/**
 * A claim by name, or by a dotted path into nested objects when no claim has that exact name
 * (Keycloak puts realm roles at `realm_access.roles`).
 */
export function claimAt(claims: Claims, name: string): unknown {
  if (name in claims) return claims[name];
  let current: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * The values of the role claim as a list of strings: an array of strings (the usual `groups`), or a
 * single string (one group). Anything else counts as no values.
 */
export function claimValues(claims: Claims, name: string): string[] {
  const value = claimAt(claims, name);
  if (typeof value === 'string') return value === '' ? [] : [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/**
 * The Tide username for these claims: the configured claim (default `preferred_username`), else
 * `email`, else `sub` — the first that is present and, lower-cased, a valid Tide username (letters,
 * digits, `.`, `_`, `@`, `-`, at most 64). Null when none is.
 */
export function usernameFromClaims(claims: Claims, usernameClaim: string): string | null {
  const candidates = [usernameClaim, 'email', 'sub'];
  for (const name of candidates) {
    const value = claimAt(claims, name);
    if (typeof value !== 'string') continue;
    const username = value.trim().toLowerCase();
    if (usernameSchema.safeParse(username).success) return username;
  }
  return null;
}
