import { describe, expect, it } from 'vitest';
import { formatRoleMap, parseRoleMap, roleForClaimValues, type RoleMap } from './role-map.ts';

function map(text: string): RoleMap {
  const parsed = parseRoleMap(text);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.map;
}

describe('the OIDC role map', () => {
  it('parses value=role entries, trimming spaces, and prints them back', () => {
    const parsed = map(' tide-admins = admin , tide-ops=operator,*=viewer ');
    expect(parsed).toEqual([
      { value: 'tide-admins', role: 'admin' },
      { value: 'tide-ops', role: 'operator' },
      { value: '*', role: 'viewer' },
    ]);
    expect(formatRoleMap(parsed)).toBe('tide-admins=admin,tide-ops=operator,*=viewer');
  });

  it('splits an entry at its last "=", so a value may contain one', () => {
    expect(map('cn=ops=operator')).toEqual([{ value: 'cn=ops', role: 'operator' }]);
  });

  it('names every bad entry at once: unknown role, no value, no "=", a value mapped twice', () => {
    const parsed = parseRoleMap('a=root,=admin,lonely,b=viewer,b=admin');
    expect(parsed).toEqual({
      ok: false,
      errors: [
        '"a=root" is not <claim value>=<admin|operator|viewer>',
        '"=admin" is not <claim value>=<admin|operator|viewer>',
        '"lonely" is not <claim value>=<admin|operator|viewer>',
        '"b" is mapped twice',
      ],
    });
    expect(parseRoleMap(' , ')).toMatchObject({ ok: false });
  });

  it('gives the highest role any matching entry names, whatever the order of the entries', () => {
    const roles = map('*=viewer,tide-ops=operator,tide-admins=admin');
    expect(roleForClaimValues(roles, ['tide-ops', 'tide-admins'])).toBe('admin');
    expect(roleForClaimValues(roles, ['tide-ops'])).toBe('operator');
    expect(roleForClaimValues(roles, ['someone-else'])).toBe('viewer');
    expect(roleForClaimValues(roles, [])).toBe('viewer');
  });

  it('gives no role when nothing matches and there is no "*"', () => {
    const roles = map('tide-admins=admin');
    expect(roleForClaimValues(roles, ['Tide-Admins', 'tide-admins-old'])).toBeNull();
    expect(roleForClaimValues(roles, [])).toBeNull();
  });
});
