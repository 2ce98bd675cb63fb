/**
 * Access tokens: short-lived JWTs (SPEC §7). HS256 only — verification names the one algorithm it
 * accepts, so `alg: none` or an RS256 token signed with our key as a "public key" is refused — and
 * `iss`, `aud`, `typ` and `exp` are checked. Each token names its login session (`sid`): revoking the
 * session (logout, refresh-token reuse, password change) ends the access token too, at the next request.
 */
import { randomUUID, webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Role } from './permissions.ts';
import { roles } from './permissions.ts';

// jose turns raw key bytes into a WebCrypto key on every sign and verify, which costs more than the
// HMAC itself: the key is imported once per signing secret.
const cryptoKeys = new WeakMap<Uint8Array, Promise<webcrypto.CryptoKey>>();
function cryptoKey(key: Uint8Array): Promise<webcrypto.CryptoKey> {
  let imported = cryptoKeys.get(key);
  if (!imported) {
    imported = webcrypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
      'verify',
    ]);
    cryptoKeys.set(key, imported);
  }
  return imported;
}

export const ACCESS_TOKEN_ALGORITHM = 'HS256';
export const ACCESS_TOKEN_AUDIENCE = 'tide-api';
export const ACCESS_TOKEN_TYPE = 'access';

export interface AccessTokenSettings {
  readonly key: Uint8Array;
  /** TIDE_PUBLIC_URL, or `tide`. */
  readonly issuer: string;
  readonly ttlMs: number;
}

export interface AccessTokenSubject {
  readonly userId: string;
  readonly username: string;
  readonly role: Role;
  readonly workspaces: readonly string[] | null;
  readonly sessionId: string;
}

export interface AccessClaims extends AccessTokenSubject {
  readonly tokenId: string;
  readonly expiresAt: Date;
}

export async function issueAccessToken(
  settings: AccessTokenSettings,
  subject: AccessTokenSubject,
  now: Date,
): Promise<{ token: string; expiresIn: number }> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  const expiresIn = Math.max(1, Math.floor(settings.ttlMs / 1000));
  const token = await new SignJWT({
    typ: ACCESS_TOKEN_TYPE,
    name: subject.username,
    role: subject.role,
    ws: subject.workspaces,
    sid: subject.sessionId,
  })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, typ: 'JWT' })
    .setIssuer(settings.issuer)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setSubject(subject.userId)
    .setJti(randomUUID())
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + expiresIn)
    .sign(await cryptoKey(settings.key));
  return { token, expiresIn };
}

/** The claims of a valid access token, or null for anything else (bad signature, expired, wrong type…). */
export async function verifyAccessToken(
  settings: AccessTokenSettings,
  token: string,
  now: Date,
): Promise<AccessClaims | null> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, await cryptoKey(settings.key), {
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: settings.issuer,
      audience: ACCESS_TOKEN_AUDIENCE,
      currentDate: now,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
    }));
  } catch {
    return null;
  }
  const { typ, sub, jti, name, role, ws, sid, exp } = payload;
  if (typ !== ACCESS_TOKEN_TYPE) return null;
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof sid !== 'string') return null;
  if (typeof name !== 'string' || !(roles as readonly unknown[]).includes(role)) return null;
  if (typeof exp !== 'number') return null;
  const workspaces = Array.isArray(ws) && ws.every((p) => typeof p === 'string') ? (ws as string[]) : null;
  return {
    userId: sub,
    username: name,
    role: role as Role,
    workspaces,
    sessionId: sid,
    tokenId: jti,
    expiresAt: new Date(exp * 1000),
  };
}
