/**
 * The key that signs the audit log (TIDE_AUDIT_KEY). A key of its own rather than one derived from the
 * JWT secret: every past signature is checked with it for as long as the log lives, so it must not change
 * when the JWT secret is rotated, and it can be given to whoever runs `tide audit verify` without the
 * power to mint tokens. Unset outside production, one is generated on first start into `<data>/audit-key`
 * (mode 0600); replicas must share it. In production a missing key is fatal (src/env/production-checks.ts
 * says so first, naming it; this is the last line).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';
import { createSecretFile, readSecretFile } from '../secrets/secret-file.ts';
import type { AuditKey } from './audit-mac.ts';

export const AUDIT_KEY_FILE = 'audit-key';
/** 256 bits: HMAC-SHA256's own output size. */
export const AUDIT_KEY_MIN_BYTES = 32;

export interface AuditKeySource {
  /** TIDE_AUDIT_KEY; unset or empty: the key file in the data directory. */
  readonly key: string | undefined;
  readonly dataDir: string;
}

export interface LoadAuditKeyOptions extends AuditKeySource {
  readonly production: boolean;
  readonly logger: { warn(fields: object, message: string): void };
}

/** The daemon's key: TIDE_AUDIT_KEY, else (outside production) the key file, generated when missing. */
export async function loadAuditKey(options: LoadAuditKeyOptions): Promise<AuditKey> {
  if (options.key) return checked(options.key, 'TIDE_AUDIT_KEY');
  if (options.production)
    throw new TideError('invalid_argument', 'TIDE_AUDIT_KEY is required when TIDE_ENV=production');
  const file = auditKeyFile(options.dataDir);
  const existing = await readSecretFile(file);
  const key = existing ?? (await createSecretFile(file, randomBytes(48).toString('base64url')));
  options.logger.warn(
    { file },
    existing === null
      ? 'TIDE_AUDIT_KEY is not set: generated a key that signs the audit log; keep a copy outside the database (tide audit verify needs it) and set TIDE_AUDIT_KEY in production and with several replicas'
      : 'TIDE_AUDIT_KEY is not set: the audit log is signed with the generated key in the data directory',
  );
  return checked(key, file);
}

/** The key `tide audit verify` checks with: TIDE_AUDIT_KEY, else the key file. Never generates one. */
export async function findAuditKey(source: AuditKeySource): Promise<AuditKey> {
  if (source.key) return checked(source.key, 'TIDE_AUDIT_KEY');
  const file = auditKeyFile(source.dataDir);
  const existing = await readSecretFile(file);
  if (existing === null) {
    throw new TideError(
      'invalid_argument',
      `no audit key to check the signatures with: set TIDE_AUDIT_KEY, or pass the --data-dir holding ${AUDIT_KEY_FILE} (${file} does not exist)`,
    );
  }
  return checked(existing, file);
}

function auditKeyFile(dataDir: string): string {
  return path.join(dataDir, AUDIT_KEY_FILE);
}

function checked(secret: string, source: string): AuditKey {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < AUDIT_KEY_MIN_BYTES) {
    throw new TideError(
      'invalid_argument',
      `${source} is ${bytes.length} bytes; the audit key needs at least ${AUDIT_KEY_MIN_BYTES} (e.g. \`openssl rand -base64 48\`)`,
    );
  }
  return bytes;
}
