import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeKeyring } from './encryption-key.ts';
import { openSecret, sealSecret, type SealedSecret } from './secret-cipher.ts';

const ring = makeKeyring(randomBytes(32));
const address = { workspace: 'web', name: 'api_token' };

function flipFirstByte(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[0] = bytes[0]! ^ 0x01;
  return bytes.toString('base64');
}

describe('sealSecret / openSecret', () => {
  it('round-trips any string, unicode and multi-line included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (value) => {
        expect(openSecret(ring, address, sealSecret(ring, address, value))).toBe(value);
      }),
      { numRuns: 200, seed: 4242 },
    );
  });

  it('uses a fresh 12-byte IV per value, so equal values never give equal ciphertexts', () => {
    const a = sealSecret(ring, address, 'same value');
    const b = sealSecret(ring, address, 'same value');
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(a.tag, 'base64')).toHaveLength(16);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(a.key_id).toBe(ring.current.id);
  });

  it('refuses a ciphertext, IV or tag that was altered', () => {
    const sealed = sealSecret(ring, address, 'hunter2-but-longer');
    for (const field of ['ciphertext', 'iv', 'tag'] as const) {
      const altered: SealedSecret = { ...sealed, [field]: flipFirstByte(sealed[field]) };
      expect(() => openSecret(ring, address, altered)).toThrow(
        'sensitive variable "api_token" of workspace "web" cannot be decrypted: the stored value was altered',
      );
    }
  });

  it('refuses a value moved to another workspace or variable', () => {
    const sealed = sealSecret(ring, address, 'belongs-to-web');
    expect(() => openSecret(ring, { workspace: 'shop', name: 'api_token' }, sealed)).toThrow('altered');
    expect(() => openSecret(ring, { workspace: 'web', name: 'db_password' }, sealed)).toThrow('altered');
  });

  it('names the missing key, not the value, when the key is not configured', () => {
    const sealed = sealSecret(makeKeyring(randomBytes(32)), address, 'sealed-elsewhere');
    expect(() => openSecret(ring, address, sealed)).toThrow(
      `is encrypted with key ${sealed.key_id}, which is not configured`,
    );
  });
});
