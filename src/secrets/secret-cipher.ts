/**
 * AES-256-GCM for one sensitive value. Each value gets a fresh random 12-byte IV (GCM's standard nonce
 * size; random nonces are safe far beyond the number of values Tide will ever hold under one key) and a
 * 16-byte tag. The workspace and variable name are authenticated as additional data, so a ciphertext
 * copied onto another row, by anyone able to write the database, fails to decrypt instead of leaking a
 * value into the wrong workspace.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { TideError } from '../errors/tide-error.ts';
import type { Keyring } from './encryption-key.ts';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What is stored per value; byte fields are base64 text, the same on SQLite and PostgreSQL. */
export interface SealedSecret {
  readonly ciphertext: string;
  readonly iv: string;
  readonly tag: string;
  readonly key_id: string;
}

/** Whose value it is: bound into the ciphertext as additional authenticated data. */
export interface SecretAddress {
  readonly workspace: string;
  readonly name: string;
}

function additionalData({ workspace, name }: SecretAddress): Buffer {
  return Buffer.from(`tide/workspace_secrets/v1\0${workspace}\0${name}`, 'utf8');
}

export function sealSecret(keyring: Keyring, address: SecretAddress, value: string): SealedSecret {
  return sealBytes(keyring, additionalData(address), Buffer.from(value, 'utf8'));
}

/**
 * The value, or a TideError naming the variable (never its value) when the key is not configured or the
 * row was altered. The message goes to the run log, so it says what to fix.
 */
export function openSecret(keyring: Keyring, address: SecretAddress, sealed: SealedSecret): string {
  const where = `sensitive variable "${address.name}" of workspace "${address.workspace}"`;
  return openBytes(keyring, additionalData(address), sealed, {
    what: where,
    remedy: 'or set the value again',
  }).toString('utf8');
}

/** Any bytes under the current key, `aad` binding them to where they are stored (state versions too). */
export function sealBytes(keyring: Keyring, aad: Buffer, plain: Buffer): SealedSecret {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, keyring.current.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    ciphertext: ciphertext.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    key_id: keyring.current.id,
  };
}

/** What a failure to open names: the thing (never its content) and how to recover it. */
export interface SealedDescription {
  readonly what: string;
  readonly remedy: string;
}

export function openBytes(
  keyring: Keyring,
  aad: Buffer,
  sealed: SealedSecret,
  description: SealedDescription,
): Buffer {
  const key = keyring.byId.get(sealed.key_id);
  const { what, remedy } = description;
  if (!key) {
    throw new TideError(
      'internal',
      `${what} is encrypted with key ${sealed.key_id}, which is not configured: set it in TIDE_ENCRYPTION_KEY or TIDE_ENCRYPTION_KEY_PREVIOUS, ${remedy}`,
    );
  }
  try {
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(sealed.iv, 'base64'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]);
  } catch (error) {
    throw new TideError(
      'internal',
      `${what} cannot be decrypted: the stored value was altered; ${remedy.replace(/^or /, '')}`,
      {
        cause: error,
      },
    );
  }
}
