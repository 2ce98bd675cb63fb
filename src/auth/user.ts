/** Users as the auth code and the API see them (types and pure helpers; the store is user.repo.ts). */
import { z } from 'zod';
import { roles, type Role } from './permissions.ts';

/** Lower-case, so `Alice` and `alice` cannot be two accounts; logins are lower-cased before lookup. */
export const usernameSchema = z.string().regex(/^[a-z0-9][a-z0-9._@-]{0,63}$/, {
  error: (issue) =>
    `invalid username "${String(issue.input)}": lower-case letters, digits, ".", "_", "@" and "-", at most 64`,
});

export const roleSchema = z.enum(roles);

export interface User {
  readonly id: string;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: Role;
  /** Name patterns (`team-a-*`); null = every workspace. */
  readonly workspaces: readonly string[] | null;
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly passwordChangedAt: string;
}

/** The API representation: never the hash. */
export interface UserView {
  readonly username: string;
  readonly role: Role;
  readonly workspaces: readonly string[] | null;
  readonly disabled: boolean;
  readonly created_at: string;
  readonly password_changed_at: string;
}

export function toUserView(user: User): UserView {
  return {
    username: user.username,
    role: user.role,
    workspaces: user.workspaces,
    disabled: user.disabled,
    created_at: user.createdAt,
    password_changed_at: user.passwordChangedAt,
  };
}

const rank: Readonly<Record<Role, number>> = { viewer: 0, operator: 1, admin: 2 };

export function roleAtMost(role: Role, ceiling: Role): boolean {
  return rank[role] <= rank[ceiling];
}

/** The weaker of two roles: an API token never exceeds the current role of the user who made it. */
export function weakerRole(a: Role, b: Role): Role {
  return rank[a] <= rank[b] ? a : b;
}

export function parsePatterns(json: string | null): readonly string[] | null {
  if (json === null) return null;
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : null;
}

export function serializePatterns(patterns: readonly string[] | null | undefined): string | null {
  return patterns ? JSON.stringify(patterns) : null;
}
