/**
 * The ids of the keys a backup's data needs, for its manifest: fingerprints only, never a key. Reading
 * only: nothing here generates a key file.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { findAuditKey } from '../audit/audit-key.ts';
import { KEY_FILE_NAME, keyId, parseEncryptionKey } from '../secrets/encryption-key.ts';
import { readSecretFile } from '../secrets/secret-file.ts';
import type { KeyIds } from './backup.ts';

export interface KeySources {
  /** TIDE_ENCRYPTION_KEY, decoded. */
  readonly encryptionKey: Buffer | undefined;
  /** TIDE_ENCRYPTION_KEY_PREVIOUS, decoded. */
  readonly previousKeys: readonly Buffer[];
  /** TIDE_AUDIT_KEY. */
  readonly auditKey: string | undefined;
  /** Where `encryption-key` and `audit-key` live when the variables are unset. */
  readonly dataDir: string;
}

export async function configuredKeyIds(sources: KeySources): Promise<KeyIds> {
  const keys = [...sources.previousKeys];
  if (sources.encryptionKey) keys.push(sources.encryptionKey);
  const fileText = await readSecretFile(path.join(sources.dataDir, KEY_FILE_NAME)).catch(() => null);
  const fileKey = fileText === null ? null : parseEncryptionKey(fileText);
  if (fileKey) keys.push(fileKey);
  const audit = await findAuditKey({ key: sources.auditKey, dataDir: sources.dataDir }).catch(() => null);
  return {
    encryption: [...new Set(keys.map(keyId))].sort(),
    audit: audit === null ? null : auditKeyId(audit),
  };
}

/** 16 hex characters naming the audit key, domain-separated like the encryption keys' ids. */
export function auditKeyId(key: Uint8Array): string {
  return createHash('sha256').update('tide/audit-key-id\0').update(key).digest('hex').slice(0, 16);
}
