import pino from 'pino';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ApiDeps, Readiness } from '../../src/api/api-deps.ts';
import { buildApp } from '../../src/api/app.ts';
import { AuditLog } from '../../src/audit/audit-log.ts';
import { loadConfigDirectory } from '../../src/config/config-loader.ts';
import { applySnapshot, type EffectiveConfig } from '../../src/config/effective-config.ts';
import { EventHub } from '../../src/events/event-hub.ts';
import { RunService } from '../../src/run/run.service.ts';
import { makeKeyring } from '../../src/secrets/encryption-key.ts';
import { SecretStore } from '../../src/secrets/secret-store.ts';
import { TemplateService } from '../../src/template/template.service.ts';
import { stateServices, type StateServices } from '../../src/state/state-services.ts';
import type { AuthSettings } from '../../src/auth/auth-settings.ts';
import type { Db } from '../../src/store/schema.ts';
import { ManualClock } from '../../src/time/clock.ts';
import {
  createTestAccessToken,
  FIXTURE_ADMIN,
  FIXTURE_JWT_KEY,
  fixtureAuthSettings,
  injectWithCredentials,
} from './auth-fixture.ts';
import { makeConfigDir, workspaceFiles } from './config-dir.ts';
import { forEachDialect, type DialectHarness } from './databases.ts';

/** Monday 15 March 2027, 06:00 UTC (07:00 in Paris): before the working day's deploys. */
export const FIXTURE_NOW = '2027-03-15T06:00:00.000Z';

/** The key the fixture's audit log is signed with (verifyAuditChain needs it). */
export const FIXTURE_AUDIT_KEY = new TextEncoder().encode('tide-test-audit-key-0123456789-abcdefghij');

/** Encrypts the fixture's sensitive variables; fixed, so a test can decrypt what the API stored. */
export const FIXTURE_ENCRYPTION_KEY = Buffer.from(
  'b8a3d0f1c27e4e96a15d3c8b90f4e7d2a6c1b5e8f3d7092c4e6a8b1d3f5c7e90',
  'hex',
);

/**
 * The workspaces every API and CLI test talks to: `web` (modes, labels, Paris time), `vault`
 * (protected), `idle` (disabled), `broken` (files never valid).
 */
export function fixtureConfigDir(): ReturnType<typeof makeConfigDir> {
  return makeConfigDir({
    ...workspaceFiles('web', {
      enabled: true,
      description: 'Web tier',
      timezone: 'Europe/Paris',
      deploy_schedule: '0 8 * * 1-5',
      destroy_schedule: '0 19 * * 1-5',
      modes: { small: { variables: { size: 1 } }, large: { variables: { size: 3 } } },
      labels: { team: 'shop' },
    }),
    ...workspaceFiles('vault', { enabled: true, protect: true, deploy_schedule: '0 6 * * *' }),
    ...workspaceFiles('idle', { enabled: false, deploy_schedule: '0 9 * * *' }),
    ...workspaceFiles('broken', { enabled: true, deploy_schedule: '0 9 * * 8' }),
  });
}

export async function loadEffectiveConfig(dir: string): Promise<EffectiveConfig> {
  const { snapshot } = await loadConfigDirectory(dir, { defaultTimeZone: 'UTC' });
  return applySnapshot(null, snapshot).next;
}

export interface ApiFixture {
  readonly app: FastifyInstance;
  readonly config: EffectiveConfig;
  readonly db: Db;
  readonly hub: EventHub;
  readonly clock: ManualClock;
  readonly runs: RunService;
  /** The real audit log on the store: what the mutations recorded can be read back. */
  readonly audit: AuditLog;
  /** Sensitive variables, encrypted with FIXTURE_ENCRYPTION_KEY. */
  readonly secrets: SecretStore;
  readonly templates: TemplateService;
  /** The state backend (versions encrypted with FIXTURE_ENCRYPTION_KEY, run credentials from FIXTURE_JWT_KEY). */
  readonly state: StateServices;
  /** What /api/health/ready reports; tests change it. */
  readiness: Readiness;
  /** The app's auth settings (signing key FIXTURE_JWT_KEY). */
  readonly auth: AuthSettings;
  /**
   * An admin access token (user `fixture-admin`, audit actor `fixture-admin`), created at first use. `app.inject` sends it unless the
   * request sets `authorization` or `cookie`; `anonymous` sends nothing.
   */
  adminToken(): Promise<string>;
  anonymous(options: InjectOptions | string): Promise<LightMyRequestResponse>;
}

/**
 * buildApp over a real store, a real EffectiveConfig, a real RunService and EventHub, and a manual clock.
 * `extra` adds or replaces dependencies (a metrics registry, a capturing logger).
 */
export function apiFixture(db: Db, config: EffectiveConfig, extra: Partial<ApiDeps> = {}): ApiFixture {
  const hub = new EventHub();
  const clock = new ManualClock(FIXTURE_NOW);
  let ids = 0;
  // Ids that sort by creation make list order easy to assert; the real service uses UUIDs.
  const runs = new RunService({ db, hub, clock, newId: () => `run-${String(++ids).padStart(4, '0')}` });
  const audit = new AuditLog(db, clock, FIXTURE_AUDIT_KEY);
  const keyring = makeKeyring(FIXTURE_ENCRYPTION_KEY);
  const secrets = new SecretStore({ db, clock, keyring });
  const state = stateServices({ db, keyring, clock, jwtSecret: FIXTURE_JWT_KEY, keepVersions: 0 });
  // Its cache directory is only created when a template is fetched (template tests use their own).
  const templates = new TemplateService({
    db,
    keyring,
    clock,
    dataDir: path.join(tmpdir(), `tide-api-fixture-${process.pid}`),
    config: () => config,
  });
  const auth = extra.auth ?? fixtureAuthSettings();
  let adminToken: Promise<string> | undefined;
  const fixture: Omit<ApiFixture, 'anonymous'> = {
    config,
    audit,
    secrets,
    templates,
    state,
    db,
    hub,
    clock,
    runs,
    readiness: { ok: true, checks: { database: { ok: true } } },
    auth,
    adminToken: () => (adminToken ??= createTestAccessToken(db, auth, FIXTURE_ADMIN)),
    app: buildApp({
      db,
      hub,
      clock,
      runs,
      audit,
      secrets,
      templates,
      state: { backend: state.backend, history: state.history },
      config: () => config,
      readiness: async () => fixture.readiness,
      logger: pino({ level: 'silent' }),
      auth,
      ...extra,
    }),
  };
  const anonymous = injectWithCredentials(fixture.app, fixture.adminToken);
  return Object.assign(fixture, { anonymous });
}

/**
 * Declares API tests against both dialects over the shared fixture configuration: `fixture()` builds a
 * fresh app (call it in beforeEach).
 */
export function forEachApiDialect(
  name: string,
  fn: (fixture: () => ApiFixture, harness: DialectHarness) => void,
): void {
  let config: EffectiveConfig;
  const configDir = fixtureConfigDir();
  beforeAll(async () => {
    config = await loadEffectiveConfig(configDir.dir);
  });
  afterAll(() => configDir.cleanup());
  forEachDialect(name, (harness) => fn(() => apiFixture(harness.db, config), harness));
}
