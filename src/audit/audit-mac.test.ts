import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkpointMac, entryMac, headMac, macMatches } from './audit-mac.ts';

const key = new TextEncoder().encode('an audit key of at least thirty-two bytes');
const hash = 'ab'.repeat(32);

/** The forms docs/security.md gives, so anyone can check the log without Tide. */
function documentedMac(text: string, withKey: Uint8Array = key): string {
  return createHmac('sha256', withKey).update(text).digest('hex');
}

describe('audit signatures', () => {
  it('signs an entry, the head and a checkpoint exactly as docs/security.md documents', () => {
    expect(entryMac(key, hash)).toBe(documentedMac(`tide-audit-entry:${hash}`));
    expect(headMac(key, 42, hash)).toBe(documentedMac(`tide-audit-head:42:${hash}`));
    expect(checkpointMac(key, 7, hash, '2027-03-15T06:00:00.000Z')).toBe(
      documentedMac(`tide-audit-checkpoint:7:${hash}:2027-03-15T06:00:00.000Z`),
    );
  });

  it('gives each purpose its own signature, so one cannot stand in for another', () => {
    const signatures = [entryMac(key, hash), headMac(key, 1, hash), checkpointMac(key, 1, hash, 'now')];
    expect(new Set(signatures).size).toBe(3);
  });

  it('signs differently under another key', () => {
    const otherKey = new TextEncoder().encode('another audit key of thirty-two bytes!');
    expect(entryMac(otherKey, hash)).toBe(documentedMac(`tide-audit-entry:${hash}`, otherKey));
    expect(entryMac(otherKey, hash)).not.toBe(entryMac(key, hash));
  });

  it('accepts only the exact signature, and never a missing or truncated one', () => {
    const signature = entryMac(key, hash);
    expect(macMatches(signature, signature)).toBe(true);
    expect(macMatches(signature, entryMac(key, 'cd'.repeat(32)))).toBe(false);
    expect(macMatches(signature, signature.slice(0, -1))).toBe(false);
    expect(macMatches(signature, `${signature}0`)).toBe(false);
    expect(macMatches(signature, '')).toBe(false);
    expect(macMatches(signature, null)).toBe(false);
    expect(macMatches(signature, undefined)).toBe(false);
  });
});
