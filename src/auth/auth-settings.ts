/**
 * What the auth code is configured with, resolved once at start from TIDE_* variables (and the
 * generated key file); frozen, passed to buildApp through ApiDeps.
 */
import type { AuditRecorder } from '../audit/audit-entry.ts';
import type { TrustProxy } from './trust-proxy.ts';
import type { Logger } from '../log/logger.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import type { AccessTokenSettings } from './access-token.ts';
import type { LockoutPolicy } from './login-failures.repo.ts';

export const DEFAULT_ACCESS_TOKEN_TTL_MS = 15 * 60_000;
export const DEFAULT_REFRESH_TOKEN_TTL_MS = 7 * 24 * 3_600_000;
export const DEFAULT_LOCKOUT: LockoutPolicy = { threshold: 5, durationMs: 15 * 60_000 };
/**
 * A source address locks after this many times the account threshold (default 20 failures): high
 * enough that an office behind one NAT is not locked by a few typos, low enough to stop one address
 * spraying a guess across many accounts.
 */
export const IP_THRESHOLD_FACTOR = 4;

export interface AuthSettings {
  readonly accessToken: AccessTokenSettings;
  readonly refreshTokenTtlMs: number;
  readonly lockout: LockoutPolicy;
  /**
   * Origins (besides the request's own) a cookie-authenticated browser request may come from:
   * TIDE_PUBLIC_URL's origin and TIDE_CORS_ORIGINS.
   */
  readonly trustedOrigins: readonly string[];
  /** Cookies carry `Secure`: always when TIDE_PUBLIC_URL is https, else when the request came over https. */
  readonly secureCookies: boolean;
  /**
   * TIDE_TRUST_PROXY: the proxies whose X-Forwarded-For names the client, for the per-address lockout,
   * rate limits and the audit log's source address. Default false: the connecting address is the client.
   */
  readonly trustProxy: TrustProxy;
}

/**
 * The two counters auth writes (src/observability/metrics.ts defines them), as the narrow shape it uses,
 * so auth does not import observability, whose collector reads the events auth's scopes filter.
 */
export interface AuthMetrics {
  readonly loginFailuresTotal: { inc(): void };
  readonly lockoutsTotal: { inc(): void };
}

/** The dependencies the auth services share; each takes the narrow slice it uses. */
export interface AuthDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly audit: AuditRecorder;
  readonly logger: Logger;
  readonly settings: AuthSettings;
  readonly metrics?: AuthMetrics | undefined;
}

export interface AuthSettingsInput {
  readonly key: Uint8Array;
  readonly publicUrl?: string | undefined;
  readonly corsOrigins?: readonly string[] | undefined;
  readonly accessTokenTtlMs?: number | undefined;
  readonly refreshTokenTtlMs?: number | undefined;
  readonly lockout?: Partial<LockoutPolicy> | undefined;
  readonly trustProxy?: TrustProxy | undefined;
}

export function authSettings(input: AuthSettingsInput): AuthSettings {
  const publicOrigin = input.publicUrl ? new URL(input.publicUrl).origin : null;
  return Object.freeze({
    accessToken: {
      key: input.key,
      issuer: input.publicUrl ? input.publicUrl.replace(/\/+$/, '') : 'tide',
      ttlMs: input.accessTokenTtlMs ?? DEFAULT_ACCESS_TOKEN_TTL_MS,
    },
    refreshTokenTtlMs: input.refreshTokenTtlMs ?? DEFAULT_REFRESH_TOKEN_TTL_MS,
    lockout: { ...DEFAULT_LOCKOUT, ...input.lockout },
    trustedOrigins: [...(publicOrigin ? [publicOrigin] : []), ...(input.corsOrigins ?? [])],
    secureCookies: publicOrigin?.startsWith('https:') ?? false,
    trustProxy: input.trustProxy ?? false,
  });
}
