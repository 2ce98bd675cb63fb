/**
 * Who is calling (SPEC §7): a user holding an access token (Bearer or session cookie), or an API token.
 * Resolved from the store on every request (or from a cache the store's change stamp keeps exact,
 * principal-cache.ts), so a revoked token, a revoked session or a disabled user stops working at the next
 * request, and a role change applies at once.
 */
import type { Db } from '../store/schema.ts';
import { verifyAccessToken, type AccessTokenSettings } from './access-token.ts';
import { findLiveApiToken } from './api-token.repo.ts';
import { hashToken, API_TOKEN_PREFIX } from './opaque-token.ts';
import type { Role } from './permissions.ts';
import { getSession } from './session.repo.ts';
import { getUserById } from './user.repo.ts';
import { weakerRole } from './user.ts';
import { WorkspaceScope } from './workspace-scope.ts';

export interface Principal {
  /** Stable key (`user:<id>`, `token:<id>`): per-principal rate limits count against it. */
  readonly id: string;
  /**
   * The audit actor: the username, or `token:<owner>/<name>` (token names are unique per owner, so the
   * owner is part of the name).
   */
  readonly name: string;
  readonly kind: 'user' | 'api_token';
  /** The user, or the user who created the token. */
  readonly userId: string;
  readonly username: string;
  /** Effective: a token's role, capped by its creator's current role. */
  readonly role: Role;
  readonly scope: WorkspaceScope;
  /** The principal's own patterns, as shown by `/me` (null = every workspace). */
  readonly workspaces: readonly string[] | null;
  /** The login session of an access token. */
  readonly sessionId: string | null;
  readonly tokenId: string | null;
  /** The API token's own name, as its owner chose it. */
  readonly tokenName: string | null;
  /** `cookie`: a browser session, whose unsafe requests must pass the CSRF check. */
  readonly via: 'bearer' | 'cookie';
}

export interface PrincipalDeps {
  readonly db: Db;
  readonly accessToken: AccessTokenSettings;
}

/** The principal a bearer or cookie credential stands for, or null when it stands for no one now. */
export async function resolvePrincipal(
  deps: PrincipalDeps,
  credential: string,
  via: Principal['via'],
  now: Date,
): Promise<Principal | null> {
  return (await resolveCredential(deps, credential, via, now))?.principal ?? null;
}

/** A resolved credential: who it stands for, and until when at most (its expiry; null = no expiry). */
export interface ResolvedCredential {
  readonly principal: Principal;
  readonly expiresAt: Date | null;
}

export async function resolveCredential(
  deps: PrincipalDeps,
  credential: string,
  via: Principal['via'],
  now: Date,
): Promise<ResolvedCredential | null> {
  // API tokens only ever come as Bearer; a cookie holds an access token.
  if (via === 'bearer' && credential.startsWith(API_TOKEN_PREFIX))
    return fromApiToken(deps.db, credential, now);
  return fromAccessToken(deps, credential, via, now);
}

async function fromAccessToken(
  deps: PrincipalDeps,
  token: string,
  via: Principal['via'],
  now: Date,
): Promise<ResolvedCredential | null> {
  const claims = await verifyAccessToken(deps.accessToken, token, now);
  if (!claims) return null;
  const [session, user] = await Promise.all([
    getSession(deps.db, claims.sessionId),
    getUserById(deps.db, claims.userId),
  ]);
  if (!session || session.revoked || session.userId !== claims.userId) return null;
  if (!user || user.disabled) return null;
  const principal: Principal = {
    id: `user:${user.id}`,
    name: user.username,
    kind: 'user',
    userId: user.id,
    username: user.username,
    role: user.role,
    scope: WorkspaceScope.of(user.workspaces),
    workspaces: user.workspaces,
    sessionId: session.familyId,
    tokenId: null,
    tokenName: null,
    via,
  };
  return { principal, expiresAt: claims.expiresAt };
}

async function fromApiToken(db: Db, secret: string, now: Date): Promise<ResolvedCredential | null> {
  const token = await findLiveApiToken(db, hashToken(secret), now);
  if (!token) return null;
  const owner = await getUserById(db, token.userId);
  if (!owner || owner.disabled) return null;
  const principal: Principal = {
    id: `token:${token.id}`,
    name: `token:${owner.username}/${token.name}`,
    kind: 'api_token',
    userId: owner.id,
    username: owner.username,
    role: weakerRole(token.role, owner.role),
    scope: WorkspaceScope.of(token.workspaces, owner.workspaces),
    workspaces: token.workspaces,
    sessionId: null,
    tokenId: token.id,
    tokenName: token.name,
    via: 'bearer',
  };
  return { principal, expiresAt: token.expiresAt === null ? null : new Date(token.expiresAt) };
}
