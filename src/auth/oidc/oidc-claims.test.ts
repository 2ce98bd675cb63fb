import { describe, expect, it } from 'vitest';
import { claimValues, usernameFromClaims } from './oidc-claims.ts';

describe('reading OIDC claims', () => {
  it('reads the role claim as a list: an array of strings, or one string', () => {
    expect(claimValues({ groups: ['a', 'b', 3, null] }, 'groups')).toEqual(['a', 'b']);
    expect(claimValues({ groups: 'a' }, 'groups')).toEqual(['a']);
    expect(claimValues({ groups: '' }, 'groups')).toEqual([]);
    expect(claimValues({ groups: { a: true } }, 'groups')).toEqual([]);
    expect(claimValues({}, 'groups')).toEqual([]);
  });

  it('reaches a nested claim by a dotted path, but prefers a claim with that exact name', () => {
    expect(claimValues({ realm_access: { roles: ['tide-admins'] } }, 'realm_access.roles')).toEqual([
      'tide-admins',
    ]);
    expect(claimValues({ 'extn.groups': ['x'], extn: { groups: ['y'] } }, 'extn.groups')).toEqual(['x']);
    expect(claimValues({ realm_access: ['not', 'an', 'object'] }, 'realm_access.roles')).toEqual([]);
  });

  it('takes the username from the configured claim, lower-cased, then email, then sub', () => {
    expect(
      usernameFromClaims({ preferred_username: 'Alice', email: 'a@x.io', sub: '1' }, 'preferred_username'),
    ).toBe('alice');
    expect(usernameFromClaims({ email: 'Alice@Example.com', sub: '1' }, 'preferred_username')).toBe(
      'alice@example.com',
    );
    expect(usernameFromClaims({ sub: 'f3a9-77' }, 'preferred_username')).toBe('f3a9-77');
    expect(usernameFromClaims({ upn: 'bob@corp.example', sub: '1' }, 'upn')).toBe('bob@corp.example');
  });

  it('skips a claim that is no valid username, and gives up when none is', () => {
    expect(
      usernameFromClaims({ preferred_username: 'Alice Smith', email: 'alice@x.io' }, 'preferred_username'),
    ).toBe('alice@x.io');
    expect(
      usernameFromClaims({ preferred_username: 'Alice Smith', sub: 'a/b' }, 'preferred_username'),
    ).toBeNull();
  });
});
