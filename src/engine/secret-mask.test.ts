import { describe, expect, it } from 'vitest';
import { createSecretMasker } from './secret-mask.ts';

describe('createSecretMasker', () => {
  it('masks every occurrence of every secret', () => {
    const mask = createSecretMasker(['hunter22', 's3cr3t-token']);
    expect(mask('password=hunter22 token=s3cr3t-token again hunter22')).toBe(
      'password=*** token=*** again ***',
    );
  });

  it('masks the JSON-escaped form of a secret', () => {
    const mask = createSecretMasker(['pa"ss\\word']);
    expect(mask('{"password": "pa\\"ss\\\\word"}')).toBe('{"password": "***"}');
    expect(mask('raw pa"ss\\word')).toBe('raw ***');
  });

  it('ignores values shorter than 4 characters so short strings do not blank the log', () => {
    const mask = createSecretMasker(['abc', 'yes', '']);
    expect(mask('abc yes abcdef')).toBe('abc yes abcdef');
  });

  it('masks a longer secret whole even when it contains a shorter one', () => {
    const mask = createSecretMasker(['token', 'token-extended']);
    expect(mask('x token-extended y token')).toBe('x *** y ***');
  });

  it('masks each line of a multi-line secret, since the log arrives line by line', () => {
    const mask = createSecretMasker(['-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----']);
    expect(mask('MIIBOgIBAAJBAK')).toBe('***');
    expect(mask('-----BEGIN KEY-----')).toBe('***');
  });

  it('leaves lines alone when there are no secrets', () => {
    expect(createSecretMasker([])('nothing to hide')).toBe('nothing to hide');
  });
});
