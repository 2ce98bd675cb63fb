/**
 * Single sign-on settings (TIDE_OIDC_*), resolved once at start and frozen. OIDC is on only when the
 * issuer, the client id and the client secret are all set; setting some of them, or leaving out the
 * role map, is a configuration mistake reported at start rather than a login that fails later.
 */
import { TideError } from '../../errors/tide-error.ts';
import type { RoleMap } from './role-map.ts';

/** Where the identity provider sends the browser back; registered at the provider as the redirect URI. */
export const OIDC_CALLBACK_PATH = '/api/v1/auth/oidc/callback';

export const DEFAULT_OIDC_SCOPES = ['openid', 'profile', 'email'] as const;
export const DEFAULT_ROLE_CLAIM = 'groups';
export const DEFAULT_USERNAME_CLAIM = 'preferred_username';

export interface OidcSettings {
  /** The issuer identifier; discovery reads `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: URL;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Always includes `openid`. Default `openid profile email`. */
  readonly scopes: readonly string[];
  /** The claim whose values the role map matches (default `groups`; a dotted path reaches nested claims). */
  readonly roleClaim: string;
  readonly roleMap: RoleMap;
  /** Default `preferred_username`; then `email`, then `sub` (oidc-claims.ts). */
  readonly usernameClaim: string;
  /** TIDE_PUBLIC_URL + OIDC_CALLBACK_PATH; null = derived from each request's Host. */
  readonly redirectUri: string | null;
}

/** The TIDE_OIDC_* values as the env schema parsed them, plus TIDE_PUBLIC_URL. */
export interface OidcSettingsInput {
  readonly issuer?: string | undefined;
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  readonly scopes?: readonly string[] | undefined;
  readonly roleClaim?: string | undefined;
  readonly roleMap?: RoleMap | undefined;
  readonly usernameClaim?: string | undefined;
  readonly publicUrl?: string | undefined;
}

/** The settings, null when OIDC is off; throws `invalid_argument` on a half-done configuration. */
export function oidcSettings(input: OidcSettingsInput): OidcSettings | null {
  const required = {
    TIDE_OIDC_ISSUER: input.issuer,
    TIDE_OIDC_CLIENT_ID: input.clientId,
    TIDE_OIDC_CLIENT_SECRET: input.clientSecret,
  };
  const missing = Object.entries(required)
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length === 3) return null;
  if (!input.roleMap) missing.push('TIDE_OIDC_ROLE_MAP');
  if (missing.length > 0)
    throw new TideError(
      'invalid_argument',
      `single sign-on is half configured: set ${missing.join(', ')} (or unset every TIDE_OIDC_* variable to turn it off)`,
      { details: { missing } },
    );
  const scopes = new Set(input.scopes ?? DEFAULT_OIDC_SCOPES);
  scopes.add('openid');
  return Object.freeze({
    issuer: new URL(input.issuer!),
    clientId: input.clientId!,
    clientSecret: input.clientSecret!,
    scopes: Object.freeze([...scopes]),
    roleClaim: input.roleClaim ?? DEFAULT_ROLE_CLAIM,
    roleMap: input.roleMap!,
    usernameClaim: input.usernameClaim ?? DEFAULT_USERNAME_CLAIM,
    redirectUri: input.publicUrl ? `${input.publicUrl.replace(/\/+$/, '')}${OIDC_CALLBACK_PATH}` : null,
  });
}

/** Loopback addresses: the only place a plain-http issuer is accepted (a provider on the same machine). */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/** https, or http on a loopback address: tokens and the client secret never cross a network in clear. */
export function isAcceptableIssuer(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.search !== '' || url.hash !== '') return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}
