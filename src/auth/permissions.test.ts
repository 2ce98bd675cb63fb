import { describe, expect, it } from 'vitest';
import { roleAllows, roles, type Permission, type Role } from './permissions.ts';

// `run` is a run's state credential, which no person's role grants.
const permissions: readonly Permission[] = ['public', 'run', 'self', 'read', 'operate', 'admin'];

/** SPEC §7, written out rather than derived, so a change to the rules shows here. */
const allowed: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: ['public', 'self', 'read'],
  operator: ['public', 'self', 'read', 'operate'],
  admin: ['public', 'self', 'read', 'operate', 'admin'],
};

describe('what each role may do', () => {
  it('knows exactly the three roles', () => {
    expect([...roles].sort()).toEqual(['admin', 'operator', 'viewer']);
  });

  for (const role of Object.keys(allowed) as Role[]) {
    for (const permission of permissions) {
      const may = allowed[role].includes(permission);
      it(`${may ? 'lets' : 'does not let'} a ${role} do what needs "${permission}"`, () => {
        expect(roleAllows(role, permission)).toBe(may);
      });
    }
  }
});
