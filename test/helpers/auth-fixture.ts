/**
 * Credentials for tests: users and API tokens written straight to the store (no password hashing unless
 * a test logs in), the fixture's auth settings, and an `inject` that sends a token by default, so tests
 * that are not about authentication read as before while the API keeps authentication on.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse as InjectResponse } from 'fastify';
import { issueAccessToken } from '../../src/auth/access-token.ts';
import { insertApiToken } from '../../src/auth/api-token.repo.ts';
import { authSettings, type AuthSettings, type AuthSettingsInput } from '../../src/auth/auth-settings.ts';
import { API_TOKEN_PREFIX, hashToken, newOpaqueToken } from '../../src/auth/opaque-token.ts';
import { hashPassword } from '../../src/auth/password-hash.ts';
import type { Role } from '../../src/auth/permissions.ts';
import { createFamily, insertRefreshToken } from '../../src/auth/session.repo.ts';
import { getUserByName, insertUser } from '../../src/auth/user.repo.ts';
import type { User } from '../../src/auth/user.ts';
import type { Db } from '../../src/store/schema.ts';

/** 40 bytes: a fixed signing key, so a test can forge tokens with it (or with another key). */
export const FIXTURE_JWT_KEY = new TextEncoder().encode('tide-test-signing-key-0123456789-abcdefgh');

export function fixtureAuthSettings(overrides: Partial<AuthSettingsInput> = {}): AuthSettings {
  return authSettings({ key: FIXTURE_JWT_KEY, ...overrides });
}

/** Not an argon2 hash, so no password ever verifies: a user that only has tokens. */
const NO_PASSWORD = '!no-password';

export interface TestUser {
  readonly username: string;
  readonly role: Role;
  readonly workspaces?: readonly string[] | null;
  /** Hashed for real when given, for tests that log in. */
  readonly password?: string;
  readonly disabled?: boolean;
}

export async function createTestUser(db: Db, user: TestUser, now = new Date()): Promise<User> {
  const existing = await getUserByName(db, user.username);
  if (existing) return existing;
  return insertUser(db, {
    id: randomUUID(),
    username: user.username,
    passwordHash: user.password ? await hashPassword(user.password) : NO_PASSWORD,
    role: user.role,
    workspaces: user.workspaces ?? null,
    now,
  });
}

/** An API token of `user` (created if needed); returns the secret to send as Bearer. */
export async function createTestToken(
  db: Db,
  user: TestUser,
  token: { name?: string; role?: Role; workspaces?: readonly string[] | null; now?: Date } = {},
): Promise<string> {
  const owner = await createTestUser(db, user);
  const secret = newOpaqueToken(API_TOKEN_PREFIX);
  await insertApiToken(db, {
    id: randomUUID(),
    name: token.name ?? `${user.username}-${randomUUID().slice(0, 8)}`,
    hash: hashToken(secret),
    userId: owner.id,
    role: token.role ?? owner.role,
    workspaces: token.workspaces ?? owner.workspaces,
    now: token.now ?? new Date(),
    expiresAt: null,
  });
  return secret;
}

export const FIXTURE_ADMIN: TestUser = { username: 'fixture-admin', role: 'admin' };

/** 2000-01-01 to 2100-01-01: valid whatever a test sets its manual clock to. */
const LONG_LIVED = { issuedAt: new Date('2000-01-01T00:00:00Z'), ttlMs: 100 * 365.25 * 86_400_000 };

/**
 * An access token of `user` (created if needed) in a new session, valid for a century, so tests that
 * move the clock by days keep their credentials; the audit actor is the plain username.
 */
export async function createTestAccessToken(db: Db, settings: AuthSettings, user: TestUser): Promise<string> {
  const owner = await createTestUser(db, user);
  const sessionId = randomUUID();
  await createFamily(db, { id: sessionId, userId: owner.id, now: LONG_LIVED.issuedAt });
  // The session lasts as long as its token: tokens it creates may not outlive it (api-token.service.ts).
  await insertRefreshToken(db, {
    hash: hashToken(newOpaqueToken()),
    familyId: sessionId,
    now: LONG_LIVED.issuedAt,
    expiresAt: new Date(LONG_LIVED.issuedAt.getTime() + LONG_LIVED.ttlMs),
  });
  const { token } = await issueAccessToken(
    { ...settings.accessToken, ttlMs: LONG_LIVED.ttlMs },
    { userId: owner.id, username: owner.username, role: owner.role, workspaces: owner.workspaces, sessionId },
    LONG_LIVED.issuedAt,
  );
  return token;
}

/** `authorization` or `cookie` in the request's headers: the test chose its own credentials. */
function hasCredentials(headers: InjectOptions['headers']): boolean {
  if (!headers) return false;
  return Object.keys(headers).some((name) => ['authorization', 'cookie'].includes(name.toLowerCase()));
}

/**
 * Makes `app.inject(options)` send `Bearer <credential()>` unless the request carries its own
 * credentials. Returns the original inject, for anonymous requests. Only the promise form of inject is
 * supported (the one the tests use).
 */
export function injectWithCredentials(
  app: FastifyInstance,
  credential: () => Promise<string>,
): (options: InjectOptions | string) => Promise<InjectResponse> {
  const original = app.inject.bind(app) as (options: InjectOptions | string) => Promise<InjectResponse>;
  const authorized = async (options: InjectOptions | string): Promise<InjectResponse> => {
    const request = typeof options === 'string' ? { url: options } : options;
    if (hasCredentials(request.headers)) return original(request);
    const headers = { ...request.headers, authorization: `Bearer ${await credential()}` };
    return original({ ...request, headers });
  };
  app.inject = authorized as FastifyInstance['inject'];
  return original;
}
