import { describe, expect, it } from 'vitest';
import { TideError } from '../errors/tide-error.ts';
import { assertPasswordAcceptable, passwordProblems } from './password-policy.ts';

const TOO_COMMON = 'is too common: it is, or is built from, one of the most used passwords';

describe('the password policy', () => {
  // First in the file on purpose: the list is read once per process, by the first check that needs it.
  it('reads the common-password list: its entries are refused, and no letters at all is not an entry', () => {
    expect(passwordProblems('qwerty123456', 'alice')).toEqual([TOO_COMMON]);
    expect(passwordProblems('#%&*(^)-=+~>', 'alice')).toEqual([]);
  });

  it('accepts long passphrases and random passwords', () => {
    for (const password of ['correct horse battery staple', 'Xk9#mP2$vL8q', 'violet tugboat sings at dawn'])
      expect(passwordProblems(password, 'alice'), password).toEqual([]);
  });

  it('refuses fewer than 12 and more than 256 characters', () => {
    expect(passwordProblems('Xk9#mP2$vL8', 'alice')).toEqual(['must be at least 12 characters']);
    expect(passwordProblems('x'.repeat(257), 'alice')).toEqual(['must be at most 256 characters']);
  });

  it('counts characters, not bytes', () => {
    expect(passwordProblems('ü'.repeat(11), 'alice')).toContain('must be at least 12 characters');
  });

  it('refuses the username, in any case', () => {
    expect(passwordProblems('Alice-Admin-01', 'alice-admin-01')).toEqual(['must not be the username']);
  });

  it('refuses entries of the common-password list that are long enough to pass the length rule', () => {
    for (const password of ['1qaz2wsx3edc', 'qwerty123456', '123qweasdzxc'])
      expect(passwordProblems(password, 'alice'), password).toEqual([
        'is too common: it is, or is built from, one of the most used passwords',
      ]);
  });

  it('sees through case, digits and symbols around a common password, swapped letters and repetition', () => {
    for (const password of [
      'Password2024!',
      'P@ssw0rd1234',
      '!!!qwerty!!!',
      '123456789012',
      'qwertyqwerty',
      '111111111111',
      'Dragon1234567',
    ])
      expect(passwordProblems(password, 'alice'), password).toHaveLength(1);
  });

  it('sees through one swapped letter in a list entry that has a year after it', () => {
    for (const password of [
      'Sun5hine2024',
      'P@ssword2026',
      'Footb4ll2026',
      'Foot8all2026',
      'Bas3ball2026',
      'Jenn1fer2026',
      'Jenn!fer2026',
      'Shad0w2026',
      'Ba$eball2026',
      'Ba5eball2026',
      'Foo7ball2026',
    ])
      expect(passwordProblems(password, 'alice'), password).toContain(TOO_COMMON);
  });

  it('sees a list entry that ends in digits behind symbols put before it', () => {
    expect(passwordProblems('!!!!blink182', 'alice')).toEqual([TOO_COMMON]);
  });

  it('accepts a repetition of something no list knows', () => {
    expect(passwordProblems('tugboattugboat', 'alice')).toEqual([]);
  });

  it('accepts exactly 256 characters and still checks them against the list', () => {
    expect(passwordProblems('Xk9#mP2$vL8q'.repeat(21) + 'abcd', 'alice')).toEqual([]);
    expect(passwordProblems('password'.repeat(32), 'alice')).toEqual([TOO_COMMON]);
  });

  it('reports only the length of an over-long password, without checking it against the list', () => {
    expect(passwordProblems('password'.repeat(33), 'alice')).toEqual(['must be at most 256 characters']);
  });

  it('lets an acceptable password through without a word', () => {
    expect(() => assertPasswordAcceptable('violet tugboat sings at dawn', 'alice')).not.toThrow();
  });

  it('throws validation_failed naming the field and every problem', () => {
    const attempt = () => assertPasswordAcceptable('alice', 'alice');
    expect(attempt).toThrow(TideError);
    try {
      attempt();
    } catch (error) {
      expect((error as TideError).code).toBe('validation_failed');
      expect((error as TideError).message).toBe(
        'the password must be at least 12 characters; must not be the username',
      );
      expect((error as TideError).details).toEqual({
        problems: [
          { path: 'body.password', message: 'password must be at least 12 characters' },
          { path: 'body.password', message: 'password must not be the username' },
        ],
      });
    }
  });
});
