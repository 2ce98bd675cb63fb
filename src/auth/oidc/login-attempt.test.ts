import { describe, expect, it } from 'vitest';
import { attemptKey, openAttempt, safeReturnTo, sealAttempt, type LoginAttempt } from './login-attempt.ts';

const key = attemptKey(new TextEncoder().encode('a-signing-key-of-at-least-32-bytes-0123'));
const attempt: LoginAttempt = {
  state: 'state-0123456789abcdef',
  nonce: 'nonce-0123456789abcdef',
  codeVerifier: 'v'.repeat(43),
  redirectUri: 'https://tide.example.com/api/v1/auth/oidc/callback',
  returnTo: '/workspaces',
};
const start = new Date('2027-03-15T06:00:00Z');
const later = (ms: number) => new Date(start.getTime() + ms);

describe('the sign-in attempt cookie', () => {
  it('opens what it sealed for 10 minutes, and then no more', async () => {
    const sealed = await sealAttempt(key, attempt, start);
    expect(await openAttempt(key, sealed, later(9 * 60_000))).toEqual({ ok: true, attempt });
    expect(await openAttempt(key, sealed, later(10 * 60_000 + 1000))).toEqual({
      ok: false,
      reason: 'state_expired',
    });
  });

  it('refuses a missing cookie, a tampered one, and one sealed under another signing key', async () => {
    const sealed = await sealAttempt(key, attempt, start);
    expect(await openAttempt(key, undefined, start)).toEqual({ ok: false, reason: 'state_missing' });
    const tampered = `${sealed.slice(0, -4)}${sealed.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect(await openAttempt(key, tampered, start)).toEqual({ ok: false, reason: 'state_invalid' });
    const otherKey = attemptKey(new TextEncoder().encode('another-signing-key-of-32-bytes-or-more'));
    expect(await openAttempt(otherKey, sealed, start)).toEqual({ ok: false, reason: 'state_invalid' });
  });
});

describe('return_to', () => {
  it('is a path on this server, / by default', () => {
    expect(safeReturnTo(undefined)).toBe('/');
    expect(safeReturnTo('')).toBe('/');
    expect(safeReturnTo('/workspaces/web?tab=runs#log')).toBe('/workspaces/web?tab=runs#log');
    expect(safeReturnTo('/a/../b')).toBe('/b');
  });

  it('never points at another site', () => {
    for (const target of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      '\\\\evil.example',
      '/\t/evil.example',
      'javascript:alert(1)',
      'workspaces',
    ])
      expect(() => safeReturnTo(target), target).toThrow(/return_to must be a path on this server/);
  });
});
