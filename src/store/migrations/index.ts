import type { Migration } from 'kysely';
import { initial } from './0001_initial.ts';
import { usersAndTokens } from './0002_users_and_tokens.ts';
import { auditAndRateLimits } from './0003_audit_and_rate_limits.ts';
import { workspaceSecrets } from './0004_workspace_secrets.ts';
import { oidcIdentities } from './0005_oidc_identities.ts';
import { loginReservationsAndTokenNames } from './0006_login_reservations_and_token_names.ts';
import { auditSignatures } from './0007_audit_signatures.ts';
import { workspaceStatusMachine } from './0008_workspace_status_machine.ts';
import { stateBackend } from './0009_state_backend.ts';
import { templates } from './0010_templates.ts';
import { environments } from './0011_environments.ts';
import { jobChains } from './0012_job_chains.ts';
import { runWaits } from './0013_run_waits.ts';
import { backups } from './0014_backups.ts';
import { overrides } from './0015_overrides.ts';
import { ttl } from './0016_ttl.ts';
import { notifications } from './0017_notifications.ts';
import { drift } from './0018_drift.ts';
import { claimIndexes } from './0019_claim_indexes.ts';

/**
 * Every migration, in order. A static list rather than a folder scan: it survives bundling and cannot
 * pick up stray files. Names sort in apply order; never rename or reorder an applied migration.
 */
export const migrations: ReadonlyArray<readonly [name: string, migration: Migration]> = [
  ['0001_initial', initial],
  ['0002_users_and_tokens', usersAndTokens],
  ['0003_audit_and_rate_limits', auditAndRateLimits],
  ['0004_workspace_secrets', workspaceSecrets],
  ['0005_oidc_identities', oidcIdentities],
  ['0006_login_reservations_and_token_names', loginReservationsAndTokenNames],
  ['0007_audit_signatures', auditSignatures],
  ['0008_workspace_status_machine', workspaceStatusMachine],
  ['0009_state_backend', stateBackend],
  ['0010_templates', templates],
  ['0011_environments', environments],
  ['0012_job_chains', jobChains],
  ['0013_run_waits', runWaits],
  ['0014_backups', backups],
  ['0015_overrides', overrides],
  ['0016_ttl', ttl],
  ['0017_notifications', notifications],
  ['0018_drift', drift],
  ['0019_claim_indexes', claimIndexes],
];
