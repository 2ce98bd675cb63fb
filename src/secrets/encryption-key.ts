/**
 * The keys that encrypt sensitive variables at rest (SPEC §7). A key is 32 bytes, given as base64 or as
 * 64 hex characters. Each key has an id derived from the key itself, stored beside every ciphertext, so
 * rows encrypted with an older key stay readable while TIDE_ENCRYPTION_KEY_PREVIOUS lists it, and are
 * re-encrypted with the current key at start (docs/security.md, "Key rotation").
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { TideError } from '../errors/tide-error.ts';
import { createSecretFile, readSecretFile } from './secret-file.ts';

export const KEY_BYTES = 32;
/** Where a generated key lives, in the data directory (development only). */
export const KEY_FILE_NAME = 'encryption-key';

const hexKey = /^[0-9a-fA-F]{64}$/;
// 32 bytes are 43 base64 characters plus one `=` of padding; url-safe letters and no padding are accepted.
const base64Key = /^[A-Za-z0-9+/_-]{43}=?$/;

export interface EncryptionKey {
  /** 16 hex characters of a hash of the key: names the key in the store without revealing it. */
  readonly id: string;
  readonly key: Buffer;
}

export interface Keyring {
  /** Encrypts every new value. */
  readonly current: EncryptionKey;
  /** Every key that may decrypt, the current one included, by id. */
  readonly byId: ReadonlyMap<string, Buffer>;
}

/** The key in `text`, or null when it is neither 64 hex characters nor base64 of 32 bytes. */
export function parseEncryptionKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (hexKey.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!base64Key.test(trimmed)) return null;
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === KEY_BYTES ? key : null;
}

export function keyId(key: Buffer): string {
  // Domain-separated, so the id is not a plain hash that could be looked up elsewhere.
  return createHash('sha256').update('tide/encryption-key-id\0').update(key).digest('hex').slice(0, 16);
}

export function makeKeyring(current: Buffer, previous: readonly Buffer[] = []): Keyring {
  const byId = new Map<string, Buffer>();
  for (const key of previous) byId.set(keyId(key), key);
  const currentKey = { id: keyId(current), key: current };
  byId.set(currentKey.id, current);
  return { current: currentKey, byId };
}

export interface LoadKeyringOptions {
  /** TIDE_ENCRYPTION_KEY, decoded; undefined when unset. */
  readonly key: Buffer | undefined;
  /** TIDE_ENCRYPTION_KEY_PREVIOUS, decoded: keys that still decrypt but no longer encrypt. */
  readonly previousKeys?: readonly Buffer[];
  readonly dataDir: string;
  /** TIDE_ENV=production: a missing key is fatal instead of generated. */
  readonly production: boolean;
  readonly logger: { warn(fields: object, message: string): void };
}

/**
 * The keyring this process uses. With TIDE_ENCRYPTION_KEY set, that key encrypts; a key file left from
 * development joins the previous keys so its rows move to the configured key. Without it (outside
 * production), the key in `<data>/encryption-key` is used, generated with mode 0600 on first start.
 */
export async function loadKeyring(options: LoadKeyringOptions): Promise<Keyring> {
  const file = path.join(options.dataDir, KEY_FILE_NAME);
  const fileKey = await readKeyFile(file);
  const previous = [...(options.previousKeys ?? [])];
  if (options.key) {
    if (fileKey && !fileKey.equals(options.key)) previous.push(fileKey);
    return makeKeyring(options.key, previous);
  }
  if (options.production) {
    throw new TideError('invalid_argument', 'TIDE_ENCRYPTION_KEY is required when TIDE_ENV=production');
  }
  if (fileKey) {
    options.logger.warn(
      { file },
      'TIDE_ENCRYPTION_KEY is not set: sensitive variables are encrypted with the generated key in the data directory',
    );
    return makeKeyring(fileKey, previous);
  }
  const generated = await createKeyFile(file);
  options.logger.warn(
    { file },
    'TIDE_ENCRYPTION_KEY is not set: generated an encryption key for sensitive variables; back it up, or set TIDE_ENCRYPTION_KEY (required in production and with several replicas)',
  );
  return makeKeyring(generated, previous);
}

async function readKeyFile(file: string): Promise<Buffer | null> {
  const text = await readSecretFile(file);
  return text === null ? null : parsedKeyFile(file, text);
}

/** When two processes start on one data directory, one writes the key and the other reads it. */
async function createKeyFile(file: string): Promise<Buffer> {
  return parsedKeyFile(file, await createSecretFile(file, randomBytes(KEY_BYTES).toString('base64')));
}

function parsedKeyFile(file: string, text: string): Buffer {
  const key = parseEncryptionKey(text);
  if (!key) {
    throw new TideError(
      'invalid_argument',
      `${file} does not hold an encryption key (base64 of 32 bytes or 64 hex characters)`,
    );
  }
  return key;
}
