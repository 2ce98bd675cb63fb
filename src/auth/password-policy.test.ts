import { describe, expect, it } from 'vitest';
import { TideError } from '../errors/tide-error.ts';
import { assertPasswordAcceptable, passwordProblems } from './password-policy.ts';

describe('the password policy', () => {
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

  it('throws validation_failed naming the field and every problem', () => {
    const attempt = () => assertPasswordAcceptable('alice', 'alice');
    expect(attempt).toThrow(TideError);
    try {
      attempt();
    } catch (error) {
      expect((error as TideError).code).toBe('validation_failed');
      expect((error as TideError).details).toEqual({
        problems: [
          { path: 'body.password', message: 'password must be at least 12 characters' },
          { path: 'body.password', message: 'password must not be the username' },
        ],
      });
    }
  });
});
