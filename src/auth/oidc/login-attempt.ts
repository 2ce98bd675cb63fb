/**
 * One sign-in attempt through the identity provider, from `/oidc/login` to `/oidc/callback`: the
 * `state`, `nonce` and PKCE verifier Tide made up, where the provider must send the browser back, and
 * where to go afterwards. It lives in the browser that started it, in the `tide_oidc` cookie, encrypted
 * and authenticated (JWE `dir` + A256GCM) under a key derived from the JWT signing key.
 *
 * A cookie rather than a row in the database: nothing to share between replicas behind a load balancer,
 * nothing to clean up, and an anonymous caller hammering `/oidc/login` fills no table. What a database
 * row would add — single use — the provider already enforces on the authorization code, and the
 * callback clears the cookie whatever the outcome. The cookie binds the attempt to the browser: a
 * callback URL carried into another browser (login CSRF) finds no matching `state` there.
 *
 * SameSite=Lax, not Strict: the provider sends the browser back with a top-level cross-site GET, on
 * which a Strict cookie would not be sent. The cookie itself is set by src/http/oidc-attempt-cookie.ts.
 */
import { hkdfSync } from 'node:crypto';
import { EncryptJWT, errors as joseErrors, jwtDecrypt } from 'jose';
import { z } from 'zod';
import { TideError } from '../../errors/tide-error.ts';

/** Ten minutes: time to type a password (and a second factor) at the provider, not to walk away. */
export const ATTEMPT_TTL_MS = 10 * 60_000;
/** Labels the derived key, so it can never decrypt (or be confused with) anything else. */
const KEY_INFO = 'tide-oidc-login-attempt-v1';

export interface LoginAttempt {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  /** Sent in the authorization request; the token request must repeat it exactly. */
  readonly redirectUri: string;
  /** A path on this server (safeReturnTo), `/` by default. */
  readonly returnTo: string;
}

const attemptSchema = z.object({
  state: z.string().min(1),
  nonce: z.string().min(1),
  codeVerifier: z.string().min(43),
  redirectUri: z.url(),
  returnTo: z.string().startsWith('/'),
});

export type OpenedAttempt =
  | { readonly ok: true; readonly attempt: LoginAttempt }
  | { readonly ok: false; readonly reason: 'state_missing' | 'state_expired' | 'state_invalid' };

/** The cookie key: HKDF-SHA256 of the JWT signing key, so replicas sharing TIDE_JWT_SECRET agree on it. */
export function attemptKey(signingKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', signingKey, new Uint8Array(0), KEY_INFO, 32));
}

export async function sealAttempt(key: Uint8Array, attempt: LoginAttempt, now: Date): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new EncryptJWT({ ...attempt })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ATTEMPT_TTL_MS / 1000)
    .encrypt(key);
}

/** The attempt the cookie holds, or why there is none. */
export async function openAttempt(
  key: Uint8Array,
  sealed: string | undefined,
  now: Date,
): Promise<OpenedAttempt> {
  if (!sealed) return { ok: false, reason: 'state_missing' };
  try {
    const { payload } = await jwtDecrypt(sealed, key, {
      currentDate: now,
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const parsed = attemptSchema.safeParse(payload);
    return parsed.success ? { ok: true, attempt: parsed.data } : { ok: false, reason: 'state_invalid' };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'state_expired' };
    return { ok: false, reason: 'state_invalid' };
  }
}

/**
 * Where to send the browser after signing in: a path on this server, never another site (an open
 * redirect would let a phishing link bounce through Tide's sign-in). `//evil.example` and `/\evil`
 * are other sites to a browser, so only a single leading `/` followed by something else is accepted.
 */
export function safeReturnTo(text: string | undefined): string {
  if (text === undefined || text === '') return '/';
  const base = 'http://tide.invalid';
  let url: URL | null = null;
  try {
    url = new URL(text, base);
  } catch {
    url = null;
  }
  // Control characters are dropped by URL parsers, which could turn `/\t/evil` into `//evil`.
  const hasControl = [...text].some((char) => char < ' ');
  const pathOnly = text.startsWith('/') && !/^\/[/\\]/.test(text) && !hasControl;
  if (!url || url.origin !== base || !pathOnly)
    throw new TideError('invalid_argument', 'return_to must be a path on this server, such as /workspaces', {
      details: { return_to: text },
    });
  return `${url.pathname}${url.search}${url.hash}`;
}
