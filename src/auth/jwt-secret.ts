/**
 * The HMAC key that signs access tokens (TIDE_JWT_SECRET). Unset outside production, one is generated
 * on first start and kept in `<data>/jwt-secret` (mode 0600), so tokens survive a restart; every replica
 * must share the key, so several replicas need TIDE_JWT_SECRET. In production a missing key is fatal
 * (src/env/production-checks.ts says so first, naming it; this is the last line).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';
import type { Logger } from '../log/logger.ts';
import { createSecretFile, readSecretFile } from '../secrets/secret-file.ts';

export const JWT_SECRET_FILE = 'jwt-secret';
/** 256 bits: HS256's own output size, the least RFC 7518 allows for its key. */
export const JWT_SECRET_MIN_BYTES = 32;

export interface JwtSecretOptions {
  readonly secret: string | undefined;
  readonly dataDir: string;
  readonly production: boolean;
  readonly logger: Pick<Logger, 'warn'>;
}

export async function loadJwtSecret(options: JwtSecretOptions): Promise<Uint8Array> {
  if (options.secret !== undefined && options.secret !== '')
    return checked(options.secret, 'TIDE_JWT_SECRET');
  if (options.production)
    throw new TideError('invalid_argument', 'TIDE_JWT_SECRET is required when TIDE_ENV=production');
  const file = path.join(options.dataDir, JWT_SECRET_FILE);
  const existing = await readSecretFile(file);
  if (existing !== null) {
    options.logger.warn(
      { file },
      'TIDE_JWT_SECRET is not set: access tokens are signed with the generated key',
    );
    return checked(existing, file);
  }
  const generated = randomBytes(48).toString('base64url');
  const kept = await createSecretFile(file, generated);
  // Another process starting on this data directory wrote its key first: use that one.
  if (kept !== generated) return checked(kept, file);
  options.logger.warn(
    { file },
    'TIDE_JWT_SECRET is not set: generated a signing key for access tokens; set TIDE_JWT_SECRET in production and with several replicas',
  );
  return checked(generated, file);
}

function checked(secret: string, source: string): Uint8Array {
  const bytes = new TextEncoder().encode(secret);
  if (bytes.length < JWT_SECRET_MIN_BYTES) {
    throw new TideError(
      'invalid_argument',
      `${source} is ${bytes.length} bytes; an access-token signing key needs at least ${JWT_SECRET_MIN_BYTES} (e.g. \`openssl rand -base64 48\`)`,
    );
  }
  return bytes;
}
