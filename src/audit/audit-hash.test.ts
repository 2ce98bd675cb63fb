import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditEntryHash, canonicalJson, GENESIS_HASH, normaliseDetails } from './audit-hash.ts';

describe('audit hashing', () => {
  it('writes the same canonical JSON whatever order the keys were built in', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { f: 1, e: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"e":2,"f":1}]},"b":1}',
    );
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('orders keys by code unit, upper case before lower case, as documented', () => {
    expect(canonicalJson({ b: 1, a: 2, B: 3, A: 4, _: 5, '1': 6 })).toBe(
      '{"1":6,"A":4,"B":3,"_":5,"a":2,"b":1}',
    );
  });

  it('writes a value as it will read back from the database: undefined fields gone, undefined items null', () => {
    expect(canonicalJson({ b: undefined, a: 1 })).toBe('{"a":1}');
    expect(canonicalJson([1, undefined])).toBe('[1,null]');
  });

  it('hashes sha256 of the previous hash followed by the canonical fields, from 64 zeros for the first', () => {
    const fields = {
      id: 1,
      at: '2027-03-15T06:00:00.000Z',
      actor: 'alice',
      action: 'auth.login',
      target: null,
      result: 'success',
      source_ip: '10.0.0.1',
      request_id: 'r',
      details: null,
    } as const;
    const expected = createHash('sha256')
      .update(
        '0'.repeat(64) +
          '{"action":"auth.login","actor":"alice","at":"2027-03-15T06:00:00.000Z","details":null,"id":1,' +
          '"request_id":"r","result":"success","source_ip":"10.0.0.1","target":null}',
      )
      .digest('hex');
    expect(auditEntryHash(GENESIS_HASH, fields)).toBe(expected);
    expect(auditEntryHash('1'.repeat(64), fields)).not.toBe(expected);
  });

  it('treats missing and empty details alike and keeps only what JSON can hold', () => {
    expect(normaliseDetails(undefined)).toBeNull();
    expect(normaliseDetails({})).toBeNull();
    expect(normaliseDetails({ at: new Date('2027-03-15T06:00:00Z'), gone: undefined })).toEqual({
      at: '2027-03-15T06:00:00.000Z',
    });
  });
});
