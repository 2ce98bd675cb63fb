/**
 * What the HTTP app needs from the rest of Tide, and nothing more: the daemon wires the real objects,
 * tests pass real stores with a manual clock. Each member is the narrowest shape the routes use.
 */
import type { Notifications } from '../notification/notifications.ts';
import type { GlobalSecrets } from '../secrets/global-secrets.ts';
import type { AuditRecorder } from '../audit/audit-entry.ts';
import type { AuthSettings } from '../auth/auth-settings.ts';
import type { OidcSettings } from '../auth/oidc/oidc-settings.ts';
import type { EffectiveConfig } from '../config/effective-config.ts';
import type { EventHub } from '../events/event-hub.ts';
import type { EventStreamLimits } from './event-socket.ts';
import type { RateLimiter } from '../http/rate-limiter.ts';
import type { Logger } from '../log/logger.ts';
import type { TideMetrics } from '../observability/metrics.ts';
import type { RunService } from '../run/run.service.ts';
import type { SecretStore } from '../secrets/secret-store.ts';
import type { StateBackendService } from '../state/state-backend.service.ts';
import type { StateService } from '../state/state.service.ts';
import type { TemplateService } from '../template/template.service.ts';
import type { TemplateActionDeps } from '../environment/template-action.ts';
import type { Db } from '../store/schema.ts';
import type { Clock } from '../time/clock.ts';
import type { HttpSecurityOptions } from './security-headers.ts';

export interface ReadinessCheck {
  readonly ok: boolean;
  /** Why it fails (or what it found), for people reading the probe's answer. */
  readonly detail?: string;
}

export interface Readiness {
  readonly ok: boolean;
  /** By name: `database`, `migrations`, `config`, `scheduler`, `engine`, … */
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
}

export interface ApiDeps {
  readonly db: Db;
  /** Followers subscribe to run logs and state changes; enable/disable announces workspace status. */
  readonly hub: Pick<EventHub, 'on' | 'off' | 'emit'>;
  readonly clock: Clock;
  /** The configuration in force now; called per request, so hot reloads show up at once. */
  config(): EffectiveConfig;
  readonly runs: Pick<RunService, 'enqueue' | 'cancel' | 'find' | 'get' | 'list' | 'logChunks' | 'logPage'>;
  readiness(): Promise<Readiness>;
  readonly logger: Logger;
  /** Where every mutation is recorded (src/audit/audit-log.ts in production). */
  readonly audit: AuditRecorder;
  /**
   * Signing key, token lifetimes, lockout policy, trusted origins (src/auth/auth-settings.ts): every
   * route but health, metrics, login and refresh requires credentials (src/http/auth.plugin.ts).
   */
  readonly auth: AuthSettings;
  /** Counts requests against the limits of src/http/rate-limit.plugin.ts; absent = no rate limits. */
  readonly rateLimiter?: RateLimiter;
  /** Served at `GET /metrics` and fed request durations; absent (tests that don't look) = neither. */
  readonly metrics?: TideMetrics;
  /** Sensitive variable values, encrypted at rest; the API only sets them and says whether they are set. */
  readonly secrets: Pick<SecretStore, 'describe' | 'update'>;
  /** The git template registry (src/template/): `/api/v1/templates`. */
  readonly templates: Pick<TemplateService, 'list' | 'get' | 'add' | 'refresh' | 'remove'>;
  /** Tide's state backend: the engine's protocol, and versions, content and rollback for people. */
  readonly state: {
    readonly backend: StateBackendService;
    readonly history: Pick<StateService, 'describe' | 'pull' | 'rollback'>;
  };
  /** CORS origins and the public URL (for HSTS); absent = no cross-origin access, no HSTS. */
  readonly security?: HttpSecurityOptions;
  /** Single sign-on (TIDE_OIDC_*); absent or null = off, and the OIDC routes answer 404. */
  readonly oidc?: OidcSettings | null;
  /** The built dashboard (dashboard.routes.ts); absent = `dist/web` of this checkout or install. */
  readonly dashboardDir?: string;
  /** Buffer, ping and credential re-check limits of `GET /api/v1/events`; absent = the defaults. */
  readonly eventStream?: Partial<EventStreamLimits>;
  /**
   * What environment health-check commands and switch actions start from: the allowlisted run
   * environment (TIDE_RUN_ENV_PASSTHROUGH); absent = the allowlist's basics only.
   */
  readonly runBaseEnv?: Readonly<Record<string, string>>;
  /**
   * What an environment's template switch action needs: the engine, Tide's state backend, the data
   * directory and the templates (src/environment/template-action.ts); absent = such switches are refused.
   */
  readonly environmentTemplates?: Omit<TemplateActionDeps, 'db' | 'clock'>;
  /** TIDE_TTL_MAX: the longest TTL a deploy may ask for (docs/ttl.md); absent = 7 days. */
  readonly ttlMaxMs?: number;
  /** TIDE_OVERRIDE_MAX: the longest an override may last; absent = 30 days (docs/overrides.md). */
  readonly overrideMaxMs?: number;
  /**
   * Notifications (docs/notifications.md): the test send, and `environment_switched` announced with a
   * switch; global secrets. Absent: the notification and secret routes are not registered.
   */
  readonly notifications?: Pick<Notifications, 'test' | 'deliveries' | 'notify'>;
  readonly globalSecrets?: Pick<GlobalSecrets, 'list' | 'set' | 'remove'>;
}
