/**
 * State content at rest: gzip (state is verbose JSON: typically a tenth of the size), then AES-256-GCM
 * under the sensitive-variable key, bound to its state key as additional data so a row copied to another
 * workspace fails to open instead of handing that workspace foreign resources.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Keyring } from '../secrets/encryption-key.ts';
import { openBytes, sealBytes, type SealedSecret } from '../secrets/secret-cipher.ts';

function additionalData(key: string): Buffer {
  return Buffer.from(`tide/state_versions/v1\0${key}`, 'utf8');
}

export function sealState(keyring: Keyring, key: string, content: Buffer): SealedSecret {
  return sealBytes(keyring, additionalData(key), gzipSync(content));
}

export function openState(keyring: Keyring, key: string, sealed: SealedSecret, serial: number): Buffer {
  const compressed = openBytes(keyring, additionalData(key), sealed, {
    what: `state serial ${serial} of "${key}"`,
    remedy: 'or roll back to another version',
  });
  return gunzipSync(compressed);
}
