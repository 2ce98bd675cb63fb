import { describe, expect, it } from 'vitest';
import { StateCredentials } from './state-credential.ts';

const secret = new TextEncoder().encode('a-jwt-secret-of-at-least-32-bytes-long!!');
const claim = { id: 'run-1', lease_owner: 'host:1:abc', fencing_token: 3 };

describe('run state credentials', () => {
  it('issues the run id as username and a password only that claim matches', () => {
    const credentials = new StateCredentials(secret);
    const { username, password } = credentials.issue(claim);
    expect(username).toBe('run-1');
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(credentials.matches(claim, password)).toBe(true);
    expect(new StateCredentials(secret).matches(claim, password)).toBe(true);
  });

  it('stops matching when the claim changes: another token, owner or run, or another secret', () => {
    const { password } = new StateCredentials(secret).issue(claim);
    const credentials = new StateCredentials(secret);
    expect(credentials.matches({ ...claim, fencing_token: 4 }, password)).toBe(false);
    expect(credentials.matches({ ...claim, lease_owner: 'host:2:def' }, password)).toBe(false);
    expect(credentials.matches({ ...claim, lease_owner: null }, password)).toBe(false);
    expect(credentials.matches({ ...claim, id: 'run-2' }, password)).toBe(false);
    expect(
      new StateCredentials(new TextEncoder().encode('another-secret-of-32-bytes-or-more!!')).matches(
        claim,
        password,
      ),
    ).toBe(false);
  });

  it("keeps the claim's fields apart: moving characters from the id to the owner makes another password", () => {
    const credentials = new StateCredentials(secret);
    const a = credentials.issue({ id: 'run-1', lease_owner: 'x', fencing_token: 3 });
    expect(credentials.matches({ id: 'run-', lease_owner: '1x', fencing_token: 3 }, a.password)).toBe(false);
  });

  it('refuses a password of another length or a near miss', () => {
    const credentials = new StateCredentials(secret);
    const { password } = credentials.issue(claim);
    expect(credentials.matches(claim, password.slice(1))).toBe(false);
    expect(credentials.matches(claim, `${password.slice(0, -1)}${password.endsWith('A') ? 'B' : 'A'}`)).toBe(
      false,
    );
    expect(credentials.matches(claim, '')).toBe(false);
  });
});
